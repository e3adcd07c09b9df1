"""``sweep data``: make jets with the offline generator and inspect jet files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sweep.data.schema import CLASS_NAMES
from sweep.errors import UserError, check_can_write

data_app = typer.Typer(help="Jet data: generate offline Pythia jets, inspect jet files.",
                       no_args_is_help=True, add_completion=False)


def parse_classes(text: str) -> tuple[str, ...]:
    """``"g,q,w"`` → ``("g", "q", "w")``; unknown or repeated names are a UserError."""
    classes = tuple(c.strip().lower() for c in text.split(",") if c.strip())
    unknown = [c for c in classes if c not in CLASS_NAMES]
    if unknown or not classes:
        raise UserError(f"--classes: unknown class {unknown[0]!r}; known: {','.join(CLASS_NAMES)}" if unknown
                        else "--classes: no class given")
    if len(set(classes)) != len(classes):
        raise UserError(f"--classes: repeated class in {text!r}")
    return classes


@data_app.command()
def generate(
    out: Path = typer.Option(..., "--out", help="Folder for the chunk files and generation.json."),
    jets_per_class: int = typer.Option(..., "--jets-per-class", help="Jets of each class."),
    seed: int = typer.Option(..., "--seed", help="Seed: the same seed gives the same jets."),
    workers: int = typer.Option(1, "--workers", help="Generator processes."),
    chunk_size: int = typer.Option(250, "--chunk-size", help="Jets per chunk file."),
    classes: str = typer.Option(",".join(CLASS_NAMES), "--classes", help="Comma-separated classes."),
    no_mpi: bool = typer.Option(False, "--no-mpi", help="Switch multi-parton interactions off (faster)."),
) -> None:
    """Generate jets with Pythia + FastJet into a folder of 150p-schema chunk files."""
    chosen = parse_classes(classes)
    from sweep.data.generator import generate_dataset  # Pythia imports only when generating

    summary = generate_dataset(out, jets_per_class=jets_per_class, seed=seed, workers=workers,
                               chunk_size=chunk_size, classes=chosen, mpi=not no_mpi, progress=True)
    console = Console()
    console.print(_generation_table(summary))
    console.print(f"{summary.get('out_dir')}: chunks written {summary.get('chunks_written')}, "
                  f"skipped {summary.get('chunks_skipped')}, {float(summary.get('seconds') or 0):.1f} s")


@data_app.command("generate-pions")
def generate_pions(
    out: Path = typer.Option(..., "--out", help="Output file (.npz or .h5)."),
    clusters_per_class: int = typer.Option(..., "--clusters-per-class", help="π⁰ and π± clusters each."),
    seed: int = typer.Option(..., "--seed", help="Seed: the same seed gives the same clusters."),
    workers: int = typer.Option(1, "--workers", help="Generator processes."),
    energy_min: float = typer.Option(0.5, "--energy-min", help="Lowest pion energy, GeV (log-uniform)."),
    energy_max: float = typer.Option(500.0, "--energy-max", help="Highest pion energy, GeV."),
) -> None:
    """Generate π⁰ / π± calorimeter clusters (parametrised ATLAS-like barrel, not Geant4)."""
    import time

    from sweep.data.calo_generator import generate_pion_clusters

    start = time.perf_counter()
    path = generate_pion_clusters(out, clusters_per_class=clusters_per_class, seed=seed,
                                  energy_range=(energy_min, energy_max), workers=workers, progress=True)
    Console().print(f"{path}: {2 * clusters_per_class} clusters ({clusters_per_class} π⁰, "
                    f"{clusters_per_class} π±), {time.perf_counter() - start:.1f} s")


def _generation_table(summary: dict) -> Table:
    table = Table()
    table.add_column("class")
    table.add_column("jets", justify="right")
    for c, n in (summary.get("per_class") or {}).items():
        table.add_row(str(c), str(n))
    table.add_section()
    table.add_row("total", str(summary.get("n_jets")))
    return table


@data_app.command()
def info(
    path: str = typer.Argument(..., help="A jet .h5 file, a folder of them, or builtin:NAME."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    plot: Path | None = typer.Option(None, "--plot",
                                     help="Write mass/multiplicity histograms (.html or .png)."),
) -> None:
    """Jets per class, constituent multiplicity and jet mass per class."""
    from sweep.data.builtin import resolve_source
    from sweep.data.info import collect_info, info_table, write_plot

    if plot is not None:
        check_can_write(plot)  # before reading the jets
    details = collect_info(resolve_source(path, progress=not as_json))
    summary = details.summary()
    if plot is not None:
        summary["plot"] = str(write_plot(details, plot))
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console()
    console.print(info_table(summary))
    if plot is not None:
        console.print(f"plot: {summary['plot']}")
