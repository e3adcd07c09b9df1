"""End to end through the CLI: real QKeras training, real hls4ml conversion and compiled emulation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import optuna
import pytest
import yaml

from sweep.cli import main

TINY_STUDY = {
    "name": "tiny",
    "seed": 5,
    "data": {"n_constituents": 8, "features": "ptetaphi"},
    "model": {"family": "deepsets"},
    "space": {
        "phi_layers": 1, "phi_width": [8, 16], "rho_layers": 1, "rho_width": 8,
        "aggregation": ["mean", "max"], "weight_bits": [6, 8], "weight_int_bits": 0,
        "act_bits": 8, "act_int_bits": 3, "sparsity": [0.0, 0.5],
    },
    "training": {"epochs": 6, "batch_size": 64, "learning_rate": 0.005, "patience": 2},
    "hls4ml": {"max_emulation_samples": 400},
    "sampler": {"name": "random", "seed": 5},
    "objectives": ["emulated_accuracy", "accuracy_gap", "bops"],
    "constraints": {"max_lut": 1e9, "max_latency_ns": 1e6},
    "n_trials": 2,
    "timeout_per_trial_s": 300,
}


def write_study(tmp_path: Path, data_dir: Path, **overrides) -> tuple[Path, str]:
    study = json.loads(json.dumps(TINY_STUDY))
    study["data"]["source"] = str(data_dir)
    study["storage"] = f"sqlite:///{tmp_path / 'trials.db'}"
    study["artifacts_dir"] = str(tmp_path / "projects")
    study.update(overrides)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path, study["storage"]


def test_run_continue_and_pareto(tmp_path: Path, quickstart_dir: Path, capsys) -> None:
    path, storage = write_study(tmp_path, quickstart_dir)
    assert main(["run", str(path)]) == 0

    study = optuna.load_study(study_name="tiny", storage=storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 2
    assert study.metric_names == ["emulated_accuracy", "accuracy_gap", "bops"]
    assert study.user_attrs["config"]["name"] == "tiny"
    for trial in complete:
        metrics = trial.user_attrs["metrics"]
        accuracy, gap, bops = trial.values
        assert 0.0 <= accuracy <= 1.0 and 0.0 <= gap <= 1.0 and bops > 0
        assert accuracy == metrics["emulated_accuracy"]
        assert gap == pytest.approx(abs(metrics["keras_accuracy"] - metrics["emulated_accuracy"]))
        assert accuracy > 0.3  # five balanced classes: clearly above chance (0.2)
        assert metrics["n_emulated"] == 400
        assert trial.user_attrs["seed"] == 5 + trial.number
        assert trial.user_attrs["versions"]["hls4ml"] == "1.3.0"
        assert trial.user_attrs["design"]["family"] == "deepsets"
        assert set(trial.user_attrs["timings"]) >= {"train_s", "hls_compile_s", "hls_predict_s"}
        assert Path(trial.user_attrs["artifacts"]["hls4ml_project"]).is_dir()
        assert "pool" in trial.user_attrs["layer_precisions"]
        # Hardware cost: every number with its source; constraints stored as metric - limit (feasible).
        for key in ("lut", "dsp", "ff", "bram", "latency_ns", "latency_cycles", "lut_pct"):
            assert key in metrics
        assert trial.user_attrs["hardware_sources"]["lut"] == "estimate:analytic"
        assert metrics["lut"] > 0 and metrics["latency_cycles"] >= 1
        assert trial.system_attrs["constraints:max_lut"] == pytest.approx(metrics["lut"] - 1e9)
        assert trial.user_attrs["pretrain_estimate"]["lut"] > 0

    # Continue from the storage alone (no study file): same study, one more trial, then promote the best.
    assert main(["run", "--storage", storage, "--study-name", "tiny", "--n-trials", "1", "--synth-top", "1"]) == 0
    study = optuna.load_study(study_name="tiny", storage=storage)
    assert len(study.trials) == 3
    (promoted,) = [v for k, v in study.user_attrs.items() if k.startswith("synthesis:")]
    assert promoted["status"] == "skipped" and "vitis_hls" in promoted["reason"]

    capsys.readouterr()
    assert main(["pareto", "--storage", storage, "--study-name", "tiny", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    best = {t.number for t in study.best_trials}
    assert {row["trial"] for row in rows} == best
    assert all("design" in row and "emulated_accuracy" in row for row in rows)

    assert main(["pareto", "--storage", storage, "--study-name", "tiny", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("trial,") and len(lines) == len(best) + 1

    # Promotion to C synthesis: no Vitis here, so the reason is stored and no number is made up.
    assert shutil.which("vitis_hls") is None
    assert main(["synth", "--storage", storage, "--study-name", "tiny", "--top", "1"]) == 0
    study = optuna.load_study(study_name="tiny", storage=storage)
    records = {k: v for k, v in study.user_attrs.items() if k.startswith("synthesis:")}
    assert len(records) == 1
    (record,) = records.values()
    assert record["status"] == "skipped" and "vitis_hls" in record["reason"]
    assert "lut" not in record and "dsp" not in record
    # The promoted trial was also emulated by compiled hls4ml: the numpy emulation is bit-exact.
    (check,) = [v for k, v in study.user_attrs.items() if k.startswith("cross_check:")]
    assert check["status"] == "done" and check["emulator_used"] == "numpy"
    assert check["bit_exact_fraction"] == 1.0 and check["n"] == 400


def test_failed_trials_are_recorded_and_the_study_goes_on(tmp_path: Path, quickstart_dir: Path) -> None:
    path, storage = write_study(tmp_path, quickstart_dir, timeout_per_trial_s=0.5, name="starved_time")
    assert main(["run", str(path)]) == 0
    study = optuna.load_study(study_name="starved_time", storage=storage)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 2
    for trial in study.trials:
        assert "timeout" in trial.user_attrs["fail_reason"]
        assert "design" in trial.user_attrs


def test_designs_far_over_the_limits_are_pruned_before_training(tmp_path: Path, quickstart_dir: Path) -> None:
    path, storage = write_study(tmp_path, quickstart_dir, name="too_small_fpga",
                                constraints={"max_lut": 10, "pretrain_margin": 2})
    assert main(["run", str(path)]) == 0
    study = optuna.load_study(study_name="too_small_fpga", storage=storage)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.PRUNED] * 2
    for trial in study.trials:
        assert "lut" in trial.user_attrs["prune_reason"]
        assert trial.user_attrs["pretrain_estimate"]["lut"] > 20
        assert "timings" not in trial.user_attrs  # nothing was trained


def test_enqueued_design_is_trained_despite_the_pretrain_estimate(tmp_path: Path, quickstart_dir: Path) -> None:
    """A design the user enqueued by name (a published reference) is trained even when its pre-training
    estimate is far over a limit; a sampled one is pruned; the trained one is infeasible by the constraint."""
    enqueued = {"phi_width_0": 8, "aggregation": "mean", "weight_bits": 6, "sparsity": 0.0}
    path, storage = write_study(tmp_path, quickstart_dir, name="reference_over_limit", enqueue=[enqueued],
                                constraints={"max_lut": 10, "pretrain_margin": 2})
    assert main(["run", str(path)]) == 0
    study = optuna.load_study(study_name="reference_over_limit", storage=storage)
    first, second = study.trials
    assert first.state == optuna.trial.TrialState.COMPLETE and first.params["phi_width_0"] == 8
    assert "lut" in first.user_attrs["pretrain_note"]
    assert first.user_attrs["metrics"]["lut"] > 10
    assert first.constraints["max_lut"] > 0  # over max_lut: infeasible, not hidden
    assert second.state == optuna.trial.TrialState.PRUNED and "lut" in second.user_attrs["prune_reason"]
