"""Study commands: run, validate, status, pareto."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sweep.errors import UserError

console = Console(stderr=True)
out = Console()


class ParetoFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


#: Columns left out of terminal tables (they are in --format json/csv).
_WIDE_COLUMNS = {"hls4ml_project", "seed", "objectives", "emulated_auc", "n_params", "sparsity"}


def _rows_table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title, show_lines=False)
    if not rows:
        return table
    keys = [k for k in dict.fromkeys(k for row in rows for k in row) if k not in _WIDE_COLUMNS]
    for key in keys:
        table.add_column(key.replace("_", " "), overflow="fold", no_wrap=key == "trial")
    for row in rows:
        table.add_row(*[_cell(row.get(k)) for k in keys])
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


#: Fidelities a promoted trial can be synthesized with, and the time one synthesis may take.
SYNTH_ESTIMATORS = ("csynth", "vsynth", "yosys")
SYNTH_TIMEOUT_S = 4 * 3600.0


def run(
    study_file: Optional[Path] = typer.Argument(None, help="study YAML; omit to continue a stored study"),
    storage: Optional[str] = typer.Option(None, help="storage URL (default: the study file's)"),
    n_trials: Optional[int] = typer.Option(None, "--n-trials", min=1, help="trials to run now"),
    study_name: Optional[str] = typer.Option(None, "--study-name", help="study name (default: the file's name)"),
    synth_top: int = typer.Option(0, "--synth-top", min=0,
                                  help="afterwards promote the K best Pareto trials, as `sweep synth --top K`"),
    synth_estimator: str = typer.Option("csynth", "--synth-estimator", help="csynth, vsynth or yosys (with --synth-top)"),
) -> None:
    """Run (or continue) a study: each trial trains, converts, emulates and scores one design."""
    from sweep.config import load_config
    from sweep.study import stored_config

    if study_file is not None:
        cfg = load_config(study_file)
    elif storage and study_name:
        cfg = stored_config(storage, study_name)
    else:
        raise UserError("give a study file, or --storage and --study-name of a stored study to continue")
    storage_url = storage or cfg.storage
    name = study_name or cfg.name
    _check_synth_estimator(synth_estimator)
    from sweep.storage import check_reachable, normalize_url

    check_reachable(normalize_url(storage_url))  # before any heavy import or data preparation
    try:
        _run(cfg, storage_url, name, n_trials or cfg.n_trials)
        if synth_top:
            _promote(storage_url, name, synth_top, synth_estimator, SYNTH_TIMEOUT_S)
    except KeyboardInterrupt:
        console.print(f"interrupted: finished trials are kept in {storage_url}; "
                      f"`sweep run --storage {storage_url} --study-name {name}` continues the study")
        raise typer.Exit(130) from None


def _run(cfg, storage_url: str, name: str, n_trials: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweep.data.prepare import prepare_data

    console.log(f"preparing data: {cfg.data.source}")
    data = prepare_data(cfg.data, progress=True)
    console.log(f"data: {len(data.x_train)} train / {len(data.x_val)} val / {len(data.x_test)} test, "
                f"input {data.input_shape}, classes {', '.join(data.target_names)}")

    from sweep.study import TrialRunner, open_study, run_study

    study, created = open_study(cfg, storage_url, name)
    done_before = len(study.trials)
    console.log(f"study {name!r} {'created' if created else 'continued'} in {storage_url} "
                f"({done_before} trials so far); running {n_trials} more")
    artifacts_root = Path(cfg.artifacts_dir) / name
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[stage]}"), console=console) as progress:
        task = progress.add_task("trials", total=n_trials, stage="")

        def stage(number: int, what: str) -> None:
            progress.update(task, stage=f"trial {number}: {what}")

        def trial_end(study, trial) -> None:
            progress.advance(task)
            state = trial.state.name
            if state == "COMPLETE":
                values = ", ".join(f"{n}={v:.4g}" for n, v in zip(study.metric_names or [], trial.values))
                console.log(f"trial {trial.number} COMPLETE: {values}")
            else:
                reason = trial.user_attrs.get("fail_reason") or trial.user_attrs.get("prune_reason", "")
                console.log(f"trial {trial.number} {state}: {reason}")

        runner = TrialRunner(cfg, data, artifacts_root, stage=stage)
        start = time.perf_counter()
        run_study(study, runner, n_trials, on_trial_end=trial_end)
    console.log(f"{n_trials} trials in {time.perf_counter() - start:.0f} s")
    from sweep.report import pareto_rows

    out.print(_rows_table(f"Pareto front of {name!r} ({len(study.trials)} trials)", pareto_rows(study)))
    if study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        from sweep.plots import write_pareto_html

        html = write_pareto_html(study, artifacts_root / "pareto_front.html")
        console.log(f"Pareto front plot: {html}")


def validate(study_file: Path = typer.Argument(..., help="study YAML")) -> None:
    """Check a study file without running anything."""
    from sweep.config import load_config
    from sweep.space import complete_space

    cfg = load_config(study_file)
    table = Table(title=f"{study_file}: valid study {cfg.name!r}")
    table.add_column("parameter")
    table.add_column("values")
    for key, spec in complete_space(cfg.model.family, cfg.space).items():
        table.add_row(key, spec.model_dump_json(exclude_defaults=True))
    out.print(table)
    out.print(f"objectives: {', '.join(f'{o.metric} ({o.resolved_direction})' for o in cfg.objectives)}; "
              f"sampler {cfg.sampler.name} (seed {cfg.sampler.seed}); {cfg.n_trials} trials; storage {cfg.storage}")


def status(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
           as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Studies in a storage: trials by state and Pareto size."""
    from sweep.report import study_status
    from sweep.storage import open_storage

    rows = study_status(open_storage(storage))
    if as_json:
        out.print_json(json.dumps(rows))
        return
    out.print(_rows_table(f"studies in {storage}", rows))


def pareto(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
           study_name: str = typer.Option(..., "--study-name", help="study name"),
           fmt: ParetoFormat = typer.Option(ParetoFormat.table, "--format", help="table, json or csv")) -> None:
    """The Pareto-optimal trials of a study, with design and metrics."""
    import optuna

    from sweep.report import pareto_rows, rows_as_csv, rows_as_json
    from sweep.storage import open_storage

    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    except KeyError:
        raise UserError(f"no study {study_name!r} in {storage}") from None
    rows = pareto_rows(study)
    if fmt == ParetoFormat.json:
        print(rows_as_json(rows))
    elif fmt == ParetoFormat.csv:
        print(rows_as_csv(rows), end="")
    else:
        out.print(_rows_table(f"Pareto front of {study_name!r} ({len(study.trials)} trials)", rows))


def plot(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
         study_name: str = typer.Option(..., "--study-name", help="study name"),
         output: Path = typer.Option(..., "--out", help="HTML file to write")) -> None:
    """Write the Pareto front of a study as an interactive plotly HTML page."""
    import optuna

    from sweep.plots import write_pareto_html
    from sweep.storage import open_storage

    if output.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"{output}: the plot is written as HTML; give a .html file")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    except KeyError:
        raise UserError(f"no study {study_name!r} in {storage}") from None
    out.print(f"wrote {write_pareto_html(study, output)}")


def synth(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
          study_name: str = typer.Option(..., "--study-name", help="study name"),
          top: int = typer.Option(3, "--top", min=1, help="promote this many Pareto trials (best first)"),
          estimator: str = typer.Option("csynth", help="csynth, vsynth or yosys"),
          timeout_s: float = typer.Option(SYNTH_TIMEOUT_S, "--timeout-s", min=1, help="per-trial time limit")) -> None:
    """Promote the best Pareto trials: cross-check the numpy emulation against compiled hls4ml, then run
    synthesis (skipped, with the reason, where the tools are absent)."""
    _check_synth_estimator(estimator, option="--estimator")
    _promote(storage, study_name, top, estimator, timeout_s)



def _check_synth_estimator(estimator: str, option: str = "--synth-estimator") -> None:
    if estimator not in SYNTH_ESTIMATORS:
        raise UserError(f"{option}: {estimator!r} is not one of {', '.join(SYNTH_ESTIMATORS)}")


def _promote(storage: str, study_name: str, top: int, estimator: str, timeout_s: float) -> None:
    """Cross-check and synthesize the ``top`` best Pareto trials; print one table."""
    import optuna

    from sweep.promote import cross_check, promoted_trials, synthesize
    from sweep.study import stored_config

    cfg = stored_config(storage, study_name)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweep.storage import open_storage

    study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    rows = []
    for trial in promoted_trials(study, top):
        console.log(f"trial {trial.number}: cross-check numpy vs compiled hls4ml …")
        check = cross_check(study, cfg, trial, timeout_s)
        console.log(f"trial {trial.number}: {estimator} …")
        record = synthesize(study, cfg, trial, estimator, timeout_s)
        rows.append({"trial": trial.number, "bit exact": check.get("bit_exact_fraction", check.get("reason")),
                     "status": record["status"],
                     **{k: record.get(k) for k in ("lut", "dsp", "ff", "latency_cycles") if k in record},
                     "reason": record.get("reason", "")})
    out.print(_rows_table(f"{estimator} of the promoted trials of {study_name!r}", rows))


def register_study_commands(app: typer.Typer) -> None:
    for command in (run, validate, status, pareto, plot, synth):
        app.command()(command)
