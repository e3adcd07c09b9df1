"""``sweep trace``: per-layer Keras vs fixed-point comparison of one trial."""

from __future__ import annotations

import json

import typer
from rich.console import Console

console = Console(stderr=True)
out = Console()

#: Short headers (the table fits 100 columns); the caption spells them out.
HEADERS = {
    "layer": "layer", "type": "type", "max_abs_diff": "max|Δ|", "mean_abs_diff": "mean|Δ|",
    "overflow_pct": "ovf %", "underflow_pct": "unf %", "proposed": "covers range", "bit_exact": "exact",
}
LEGEND = ("max|Δ|/mean|Δ| = max/mean |Keras − fixed point|; ovf % = Keras values outside the type's range; "
          "unf % = nonzero Keras values below its LSB; covers range = smallest type holding the observed range "
          "at this resolution; exact = fraction of cross-checked samples bit-exact numpy vs hls4ml trace")


def trace(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
          study_name: str = typer.Option(..., "--study-name", help="study name"),
          trial: int = typer.Option(..., "--trial", min=0, help="trial number"),
          samples: int = typer.Option(1000, "--samples", min=1, help="samples to trace (from the trial's x_test)"),
          cross_check: int = typer.Option(20, "--cross-check", min=0,
                                          help="samples cross-checked against hls4ml's compiled tracing (0: none)"),
          as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Per layer of a trial: Keras vs emulated fixed point (max/mean difference), overflow and underflow
    fractions, and the smallest ap_fixed covering the observed range. Stored on the study as trace:<N>."""
    import optuna

    from sweep.artifacts import store_path_of
    from sweep.storage import display_url, open_storage
    from sweep.study import stored_config
    from sweep.trace import TRACE_ATTR, trace_rows, trace_trial, traceable_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = stored_config(storage, study_name)  # unknown study, or not made by hls-sweep: one error line
    study = optuna.load_study(study_name=study_name, storage=open_storage(storage, create=False))
    frozen = traceable_trial(study, trial)
    store_path_of(study)
    record = trace_trial(study, cfg, frozen, samples, cross_check)
    if as_json:
        print(json.dumps(record, indent=1))
        return
    from sweep.cli.study import _cell, _plain_table

    rows = trace_rows(record)
    table = _plain_table(f"trace of trial {trial} of {study_name!r} ({record['n_samples']} samples, "
                         f"{record['source']} emulator)")
    for key, header in HEADERS.items():
        table.add_column(header, no_wrap=True, justify="left" if key in ("layer", "type", "proposed") else "right")
    for row in rows:
        table.add_row(*[_cell(row[key]) for key in HEADERS])
    table.caption = LEGEND
    out.print(table, width=min(out.width, 100))
    check = record["cross_check"]
    summary = (f"first layer with overflow: {record['first_overflow']}" if record["first_overflow"]
               else "no layer overflows")
    if record["keras_only"]:
        summary += f"; Keras layers without an hls4ml layer: {', '.join(record['keras_only'])}"
    if check["status"] == "done":
        summary += f"; cross-check on {check['n']} samples: bit-exact fraction {check['bit_exact_fraction']}"
    elif check.get("reason"):
        summary += f"; cross-check {check['status']}: {check['reason']}"
    out.print(summary, width=min(out.width, 100))
    console.print(f"stored as study attribute {TRACE_ATTR.format(number=trial)!r} and artifact "
                  f"{record['artifact_id']} (study {study_name!r} in {display_url(storage)})")
