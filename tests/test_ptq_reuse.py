"""PTQ precision sweeps train once: trials that differ only in precision share one stored float model.

Real training and conversion on a tiny DeepSets; trainings are counted by wrapping ``sweep.pipeline.train``.
"""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
import yaml

import sweep.pipeline
from sweep.cli import main
from sweep.config import parse_config
from sweep.errors import UserError

STUDY = {
    "name": "ptq_grid",
    "seed": 3,
    "data": {"n_constituents": 8, "features": "ptetaphi"},
    "model": {"family": "deepsets"},
    "space": {
        "phi_layers": 1, "phi_width": 8, "rho_layers": 1, "rho_width": 8, "aggregation": "mean",
        "quantization": "ptq", "weight_bits": [4, 6, 8], "weight_int_bits": 0, "act_bits": 8, "act_int_bits": 3,
    },
    "training": {"epochs": 2, "batch_size": 128, "learning_rate": 0.005, "patience": 2},
    "hls4ml": {"max_emulation_samples": 200, "cross_check_every": 0},
    "sampler": {"name": "grid", "seed": 1},
    "objectives": ["emulated_accuracy", "accuracy_gap"],
    "timeout_per_trial_s": 300,
}


def write_study(tmp_path: Path, data_dir: Path, **overrides) -> tuple[Path, str, dict]:
    study = json.loads(json.dumps(STUDY))
    study["data"]["source"] = str(data_dir)
    study["storage"] = f"sqlite:///{tmp_path / 'trials.db'}"
    study["artifacts_dir"] = str(tmp_path / "projects")
    study.update(overrides)
    path = tmp_path / f"{study['name']}.yaml"
    path.write_text(yaml.safe_dump(study))
    return path, study["storage"], study


@pytest.fixture
def count_trainings(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = sweep.pipeline.train

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep.pipeline, "train", counting)
    monkeypatch.delenv(sweep.pipeline.REUSE_ENV, raising=False)
    return calls


def test_ptq_grid_trains_once(tmp_path: Path, quickstart_dir: Path, count_trainings: list[int]) -> None:
    path, storage, _ = write_study(tmp_path, quickstart_dir)
    assert main(["run", str(path)]) == 0  # n_trials defaults to the grid size: 3
    assert len(count_trainings) == 1

    study = optuna.load_study(study_name="ptq_grid", storage=storage)
    trials = study.trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 3
    assert sorted(t.params["weight_bits"] for t in trials) == [4, 6, 8]  # the grid, each point once
    assert sorted(t.user_attrs["training_reused"] for t in trials) == [False, True, True]
    keys = {t.user_attrs["training_key"] for t in trials}
    assert len(keys) == 1 and len(next(iter(keys))) == 64
    assert {t.user_attrs["seed"] for t in trials} == {3}  # PTQ trains with the study's seed
    metrics = [t.user_attrs["metrics"] for t in trials]
    assert len({m["keras_accuracy"] for m in metrics}) == 1  # the same float model
    assert len({m["epochs_run"] for m in metrics}) == 1
    for trial, m in zip(trials, metrics):
        assert 0.0 <= m["emulated_accuracy"] <= 1.0 and "lut" in m
        assert trial.user_attrs["layer_precisions"]["phi_0"]  # each converted with its own precision
        if trial.user_attrs["training_reused"]:
            assert trial.user_attrs["timings"]["train_s"] == 0.0
    # each precision emulated separately: 4-bit weights leave the float model further behind than 8-bit ones
    by_bits = {t.params["weight_bits"]: t.user_attrs["metrics"] for t in trials}
    assert by_bits[4]["emulated_accuracy"] != by_bits[8]["emulated_accuracy"] or \
        by_bits[4]["lut"] != by_bits[8]["lut"]
    store = Path(study.user_attrs["artifact_store"]) / sweep.pipeline.PTQ_MODELS_DIR
    assert sorted(p.name for p in store.iterdir()) == sorted(f"{next(iter(keys))}.{ext}" for ext in ("h5", "json"))

    # A worker continuing the exhausted grid (a repeated point) reuses the stored model too.
    assert main(["run", "--storage", storage, "--study-name", "ptq_grid", "--n-trials", "1"]) == 0
    assert len(count_trainings) == 1


def test_qat_never_reuses(tmp_path: Path, quickstart_dir: Path, count_trainings: list[int]) -> None:
    space = {**STUDY["space"], "quantization": "qat", "weight_bits": [4, 8]}
    path, storage, _ = write_study(tmp_path, quickstart_dir, name="qat_grid", space=space,
                                   training={**STUDY["training"], "epochs": 1})
    assert main(["run", str(path)]) == 0
    assert len(count_trainings) == 2
    trials = optuna.load_study(study_name="qat_grid", storage=storage).trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    for trial in trials:
        assert trial.user_attrs["training_reused"] is False and trial.user_attrs["training_key"] is None
        assert trial.user_attrs["seed"] == 3 + trial.number  # QAT keeps per-trial seeds


def test_grid_sampler_validation(tmp_path: Path) -> None:
    base = {"name": "g", "model": {"family": "deepsets"}, "sampler": {"name": "grid"},
            "space": {"phi_layers": [1, 2], "phi_width": {"low": 4, "high": 8, "step": 4},
                      "weight_bits": {"low": 4, "high": 10, "step": 2}, "sparsity": {"low": 0, "high": 0.5, "step": 0.25}}}
    cfg = parse_config(base, "s.yaml")
    assert cfg.n_trials == 2 * 2 * 2 * 4 * 3  # phi_layers × phi_width_0 × phi_width_1 × weight_bits × sparsity
    assert parse_config({**base, "n_trials": 5}, "s.yaml").n_trials == 5
    for bad, why in (({"sparsity": {"low": 0, "high": 0.5}}, "float range without step"),
                     ({"weight_bits": {"low": 4, "high": 16, "log": True}}, "log range")):
        with pytest.raises(UserError) as info:
            parse_config({**base, "space": {**base["space"], **bad}}, "s.yaml")
        message = str(info.value)
        assert "\n" not in message and why in message and message.startswith(f"s.yaml: space.{next(iter(bad))}")
