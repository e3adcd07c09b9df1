"""The terminal tables (``sweep pareto``, ``sweep run``, ``sweep status``) fit 80 columns without breaking a
header in the middle of a word; ``--format json|csv`` keep the full metric names."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import optuna
import pytest
import yaml
from rich.console import Console

from sweep.cli.study import SHORT_HEADERS, _rows_table
from sweep.report import pareto_rows, rows_as_csv, rows_as_json

QUICKSTART = Path(__file__).resolve().parents[1] / "studies" / "quickstart.yaml"
OBJECTIVES = yaml.safe_load(QUICKSTART.read_text())["objectives"]  # emulated_accuracy, accuracy_gap, lut

optuna.logging.set_verbosity(optuna.logging.ERROR)

DESIGNS = [
    {"family": "deepsets",
     "architecture": {"n_constituents": 16, "phi": [32, 32], "rho": [16], "aggregation": "mean"},
     "layer_quant": {"phi_0": {"weight_bits": 6, "weight_int_bits": 0, "act_bits": 8, "act_int_bits": 3}},
     "sparsity": 0.25, "reuse_factor": 1, "quantization": "qat"},
    {"family": "deepsets",
     "architecture": {"n_constituents": 16, "phi": [8], "rho": [8], "aggregation": "max"},
     "layer_quant": {"phi_0": {"weight_bits": 4, "weight_int_bits": 0, "act_bits": 6, "act_int_bits": 2}},
     "sparsity": 0.5, "reuse_factor": 1, "quantization": "qat"},
]


def _study(objectives: list[str], promoted: bool) -> optuna.Study:
    """A study with two Pareto trials carrying what TrialRunner records (metrics, design, seed, artifacts)."""
    from sweep.objectives import OBJECTIVES as KNOWN

    study = optuna.create_study(directions=[KNOWN[m].direction for m in objectives])
    study.set_metric_names(objectives)
    metrics = [
        {"emulated_accuracy": 0.7512, "keras_accuracy": 0.7637, "accuracy_gap": 0.0125, "agreement": 0.9875,
         "emulated_auc": 0.91, "lut": 12345.0, "latency_ns": 62.5, "dsp": 1234.0, "bops": 1234567.0,
         "n_params": 1234, "sparsity": 0.25},
        {"emulated_accuracy": 0.6801, "keras_accuracy": 0.6801, "accuracy_gap": 1.25e-05, "agreement": 1.0,
         "emulated_auc": 0.88, "lut": 812.0, "latency_ns": 35.0, "dsp": 12.0, "bops": 45678.0,
         "n_params": 300, "sparsity": 0.5},
    ]
    for number, (values, design) in enumerate(zip(metrics, DESIGNS)):
        study.add_trial(optuna.trial.create_trial(
            values=[values[m] for m in objectives], params={}, distributions={},
            user_attrs={"metrics": values, "design": design, "seed": number,
                        "artifacts": {"hls4ml_project": f"/projects/trial_{number:04d}/hls4ml_prj"}}))
    if promoted:
        study.set_user_attr("cross_check:0", {"status": "done", "emulator_used": "numpy", "bit_exact_fraction": 1.0})
        study.set_user_attr("synthesis:0", {"status": "skipped", "estimator": "csynth",
                                            "reason": "Vitis HLS (vitis_hls) is not installed here"})
    return study


def _render(table) -> str:
    console = Console(width=80, force_terminal=False, record=True)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


def _header_cells(renderable) -> list[str]:
    """Headers of the table, or of both tables when the design text went into its own table."""
    tables = getattr(renderable, "renderables", [renderable])
    return [str(column.header) for table in tables for column in table.columns]


@pytest.mark.parametrize("objectives", [OBJECTIVES, ["emulated_accuracy", "accuracy_gap", "lut", "latency_ns"]],
                         ids=["quickstart", "default-objectives"])
@pytest.mark.parametrize("promoted", [False, True], ids=["plain", "after-synth"])
def test_pareto_table_fits_80_columns_with_whole_headers(objectives, promoted):
    rows = pareto_rows(_study(objectives, promoted))
    assert set(objectives) <= set(rows[0])
    table = _rows_table("Pareto front of 'quickstart' (10 trials)", rows)
    text = _render(table)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, text
    header_lines = [line for line in lines if line.lstrip().startswith("trial")]  # one per table
    for header in _header_cells(table):
        assert any(header in line for line in header_lines), (header, text)  # every header whole
    for long_name in ("emulated accuracy", "emulate", "accurac"):
        assert not any(long_name in line for line in header_lines), text
    assert "design" in " ".join(header_lines)
    flat = " ".join(text.split())
    for row in rows:  # the design text is shown, wrapped between words only
        assert all(word in text for word in row["design"].split()), (row["design"], text)
    assert "w6.0 a8.3" in flat
    legend = " ".join(" ".join(lines[lines.index(header_lines[0]) + 1:]).split())
    for metric in objectives:  # abbreviated names are spelled out under the table
        if metric in SHORT_HEADERS:
            assert f"{SHORT_HEADERS[metric]} = {metric}" in legend, text
    assert "0.7512" in text and "12,345" in text and "1.23M" in text  # numbers are not wrapped either
    if promoted:
        assert "skipped" in text and "{" not in text  # a record shows its headline, not a dict


def test_machine_formats_keep_full_names():
    rows = pareto_rows(_study(OBJECTIVES, promoted=True))
    parsed = json.loads(rows_as_json(rows))
    assert {"emulated_accuracy", "accuracy_gap", "lut", "keras_accuracy", "design"} <= set(parsed[0])
    header = next(csv.reader(io.StringIO(rows_as_csv(rows))))
    assert header[:4] == ["trial", *OBJECTIVES]


def test_status_table_fits():
    rows = [{"study": "quickstart", "trials": 10, "complete": 8, "running": 0, "fail": 1, "pruned": 1,
             "waiting": 0, "pareto": 4, "objectives": OBJECTIVES}]
    table = _rows_table("studies in sqlite:///sweeps.db", rows)
    text = _render(table)
    assert max(len(line) for line in text.splitlines()) <= 80
    for header in _header_cells(table):
        assert header in text
