"""``sweep export``: one trial as a folder to take to synthesis."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)


def export(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
           study_name: str = typer.Option(..., "--study-name", help="study name"),
           trial: int = typer.Option(..., "--trial", min=0, help="trial number"),
           out: Path = typer.Option(..., "--out", help="folder to write (new, or empty)")) -> None:
    """Export a trial: its QKeras model, a ready-to-synthesize hls4ml project, the exact hls4ml config, the
    emulated samples, the stack versions and seed, and a README with the synthesis command."""
    import optuna

    from sweep.export import check_out_dir, export_trial, exportable_trial
    from sweep.storage import display_url, open_storage
    from sweep.study import stored_config

    check_out_dir(out)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = stored_config(storage, study_name)  # unknown study, or not made by hls-sweep: one error line
    study = optuna.load_study(study_name=study_name, storage=open_storage(storage, create=False))
    frozen = exportable_trial(study, trial)
    for warning in export_trial(study, cfg, frozen, out):
        console.print(f"warning: {warning}")
    print(f"wrote {out} (trial {trial} of {study_name!r} in {display_url(storage)}): model.h5, hls4ml_prj/ "
          "(build_prj.tcl), hls4ml_config.json, x_test.npy, y_test.npy, versions.json, README.md")
