"""Calorimeter clusters: the schema's loader, the users' transform, its bad inputs, and one real
two-trial regression study end to end (real QKeras training, hls4ml conversion, numpy emulation)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from calofiles import make_clusters, reshaped_cells, without, write_clusters
from sweep.artifacts import fetch_artifact
from sweep.cli import main
from sweep.config import parse_config
from sweep.data.cache import cache_key
from sweep.data.config import DataConfig
from sweep.data.prepare import prepare_data
from sweep.data.targets import physical_units
from sweep.errors import UserError


def prepare(tmp_path: Path, source: Path, **data) -> "object":
    return prepare_data(DataConfig(source=str(source), **data), cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_regression_arrays_follow_the_users_transform(tmp_path: Path, suffix: str) -> None:
    raw = make_clusters(n=60, cells=16)
    source = write_clusters(tmp_path / f"c{suffix}", raw)
    d = prepare(tmp_path, source, task="regression", n_constituents=8)
    assert d.task == "regression" and d.target_names == ("energy",)
    assert d.feature_names == ("eta", "phi", "layer", "log_energy")
    assert d.normalizer.kind == "none"  # the users' raw inputs by default
    assert d.x_train.shape[1:] == (8, 4) and d.y_train.shape[1:] == (1,)
    x = np.concatenate([d.x_train, d.x_val, d.x_test])
    y = np.concatenate([d.y_train, d.y_val, d.y_test])[:, 0] * 100.0  # default target_scale: 100 GeV
    assert d.meta["target_scale"] == 100.0
    assert len(x) == 60 and x.dtype == np.float32 and y.dtype == np.float32
    # every prepared cluster is one raw cluster: find it by its true energy (GeV, unscaled)
    for xi, yi in zip(x, y):
        i = int(np.argmin(np.abs(raw["energy"] - yi)))
        assert raw["energy"][i] == pytest.approx(yi, rel=1e-6)
        cells = raw["cells"][i, :8]
        real = np.any(cells != 0, axis=1)
        np.testing.assert_allclose(xi[real, :3], cells[real, :3])
        np.testing.assert_allclose(xi[real, 3], np.log(cells[real, 3]) / 10, rtol=1e-6)
        assert np.all(xi[~real] == -6.0)


def test_log_target_is_ln_energy_over_ten_and_converts_back_to_gev(tmp_path: Path) -> None:
    raw = make_clusters(n=60, cells=16)
    source = write_clusters(tmp_path / "c.npz", raw)
    d = prepare(tmp_path, source, task="regression", n_constituents=8, target_transform="log")
    assert d.meta["target_transform"] == "log"
    y = np.concatenate([d.y_train, d.y_val, d.y_test])[:, 0]
    energy = physical_units(y, d.meta)
    np.testing.assert_allclose(np.sort(energy), np.sort(raw["energy"]), rtol=1e-5)
    np.testing.assert_allclose(np.sort(y), np.sort(np.log(raw["energy"]) / 10), rtol=1e-6)
    linear = prepare(tmp_path, source, task="regression", n_constituents=8)
    assert linear.meta["target_transform"] == "linear" and linear.cache_key != d.cache_key
    np.testing.assert_allclose(physical_units(linear.y_test, linear.meta), linear.y_test * 100.0)
    assert physical_units(np.array([0.5]), {"target_scale": 2.0}) == pytest.approx([1.0])  # older studies


def test_classification_is_one_hot_pi0_pipm_and_cached(tmp_path: Path) -> None:
    source = write_clusters(tmp_path / "c.npz", n=40)
    d = prepare(tmp_path, source, format="calo", n_constituents=16, pad_value=-3.0)
    assert d.task == "classification" and d.target_names == ("pi0", "pipm")
    assert d.y_train.shape[1] == 2 and set(d.y_train.sum(axis=1)) == {1.0}
    assert d.meta["counts"]["train"]["pi0"] == d.meta["counts"]["train"]["pipm"]
    assert d.meta["cache_hit"] is False
    assert prepare(tmp_path, source, format="calo", n_constituents=16, pad_value=-3.0).meta["cache_hit"] is True
    assert prepare(tmp_path, source, n_constituents=16, pad_value=-4.0).meta["cache_hit"] is False


def test_standard_normalization_keeps_pad_rows_exactly_at_the_pad_value(tmp_path: Path) -> None:
    source = write_clusters(tmp_path / "c.npz", n=60)
    d = prepare(tmp_path, source, task="regression", normalization="standard", pad_value=-8.0)
    real = np.any(d.x_train != -8.0, axis=-1)
    assert np.all(d.x_train[~real] == -8.0) and (~real).any()
    assert np.abs(d.x_train[real].mean(axis=0)).max() < 1e-4  # fitted on the real training cells only
    assert np.all(d.x_train[real] > -8.0)


def test_folder_of_files_and_feature_selection(tmp_path: Path) -> None:
    folder = tmp_path / "clusters"
    folder.mkdir()
    write_clusters(folder / "a.npz", n=30, seed=1)
    write_clusters(folder / "b.h5", n=30, seed=2)
    d = prepare(tmp_path, folder, task="regression", features=["layer", "energy"], n_constituents=4)
    assert d.feature_names == ("layer", "log_energy") and d.input_shape == (4, 2)
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 60


def test_jet_cache_config_is_unchanged_by_the_task_fields() -> None:
    """Prepared-jet cache keys made before tasks existed stay valid: same JSON, same key."""
    cfg = DataConfig(source="jets.h5", format="jets150p", n_constituents=8)
    old_fields = {"source", "format", "representation", "n_constituents", "features", "min_pt", "classes",
                  "normalization", "split", "max_jets", "seed"}  # the fields before tasks existed
    assert set(json.loads(cfg.cache_json())) == old_fields
    old_json = json.dumps({k: v for k, v in json.loads(cfg.model_dump_json()).items() if k in old_fields})
    assert cache_key([], cfg.cache_json()) == cache_key([], old_json)
    assert "pad_value" in json.loads(DataConfig(source="c.npz", format="calo").cache_json())


BAD_FILES = [
    ("cells-two-dimensional", reshaped_cells((10, 16)), {}, "'cells' has shape (10, 16)"),
    ("three-features", reshaped_cells((10, 16, 3)), {}, "expected (N, C, 4)"),
    ("more-than-128-cells", reshaped_cells((10, 129, 4)), {}, "C <= 128"),
    ("missing-energy", without("energy"), {"task": "regression"}, "no 'energy' array"),
    ("missing-label", without("label"), {}, "no 'label' array"),
    ("energy-length", lambda p: write_clusters(p, {**make_clusters(n=20), "energy": np.ones(19)}),
     {"task": "regression"}, "'energy' has shape (19,); expected (20,)"),
    ("label-not-0-1", lambda p: write_clusters(p, {**make_clusters(n=20), "label": np.full(20, 3)}), {},
     "must be 0 (pi0) or 1"),
    ("negative-cell-energy", lambda p: write_clusters(p, _with_cell(make_clusters(n=20), 3, -1.0)),
     {"task": "regression"}, "real cell(s) with energy <= 0"),
    ("pad-inside-range", None, {"pad_value": 0.0}, "pad_value 0 is inside the data range: feature 'eta'"),
    ("pad-at-the-layer-floor", None, {"pad_value": 0.0, "features": ["layer"]}, "feature 'layer' reaches 0"),
    ("too-many-constituents", reshaped_cells((10, 8, 4)), {"n_constituents": 16}, "stores 8 cells"),
]


def _with_cell(arrays: dict, feature: int, value: float) -> dict:
    arrays["cells"][0, 0, feature] = value
    return arrays


@pytest.mark.parametrize("name, writer, data, needle", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_cluster_files_are_one_line_user_errors(tmp_path: Path, name, writer, data, needle) -> None:
    source = tmp_path / "c.npz"
    (writer or write_clusters)(source)
    with pytest.raises(UserError) as info:
        prepare(tmp_path, source, format="calo", **data)
    message = str(info.value)
    assert needle in message and "\n" not in message
    assert message.startswith(str(source))


def test_study_level_mistakes() -> None:
    base = {"name": "s", "model": {"family": "deepsets"}, "sampler": {"name": "random", "seed": 0},
            "objectives": ["mae", "lut"]}
    cases = {
        "regression on jets": ({"source": "builtin:quickstart", "task": "regression"},
                               "regression needs calorimeter clusters"),
        "jet classes on clusters": ({"source": "c.npz", "format": "calo", "classes": ["g", "q"]}, "data.classes"),
        "more than 128 cells": ({"source": "c.npz", "format": "calo", "n_constituents": 150}, "at most 128"),
        "log target on classification": ({"source": "c.npz", "format": "calo", "target_transform": "log"},
                                         "target_transform: applies to regression"),
    }
    for what, (data, needle) in cases.items():
        with pytest.raises(UserError, match=needle):
            parse_config({**base, "data": data}, "s.yaml")
    with pytest.raises(UserError, match="use deepsets"):
        parse_config({**base, "model": {"family": "mlp"}, "objectives": ["lut"],
                      "data": {"source": "c.npz", "format": "calo"}}, "s.yaml")


def test_builtin_pions_validates_without_generating(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HLS_SWEEP_CACHE", str(tmp_path / "cache"))
    cfg = parse_config({"name": "p", "data": {"source": "builtin:pions", "task": "regression",
                                              "n_constituents": 64},
                        "model": {"family": "deepsets"}, "sampler": {"name": "random", "seed": 0},
                        "objectives": ["mpe", "emulated_resolution_iqr", "lut"]}, "p.yaml")
    assert cfg.data.kind == "calo" and cfg.data.normalization == "none"
    assert not (tmp_path / "cache").exists()


def test_generated_pion_clusters_load_for_both_tasks(tmp_path: Path) -> None:
    """The offline generator's file (sweep.data.calo_generator, small here) is read as the schema says."""
    from sweep.data.builtin import BUILTIN_DATASETS
    from sweep.data.calo import CALO_BUILTINS
    from sweep.data.calo_generator import generate_pion_clusters

    assert CALO_BUILTINS == {n for n, r in BUILTIN_DATASETS.items() if hasattr(r, "clusters_per_class")}
    source = generate_pion_clusters(tmp_path / "pions.npz", clusters_per_class=40, seed=1, progress=False)
    regression = prepare(tmp_path, source, task="regression", n_constituents=64)
    classification = prepare(tmp_path, source, n_constituents=64)
    assert regression.input_shape == (64, 4) and regression.n_outputs == 1
    assert np.all(regression.y_train > 0) and classification.target_names == ("pi0", "pipm")
    assert np.all(classification.x_train >= -6.0) and np.any(classification.x_train == -6.0)


REGRESSION_STUDY = {
    "name": "calo",
    "seed": 3,
    "data": {"n_constituents": 8, "task": "regression"},
    "model": {"family": "deepsets"},
    "space": {"phi_layers": 1, "phi_width": 8, "rho_layers": 1, "rho_width": 8, "aggregation": ["mean", "max"],
              "quantization": ["qat", "ptq"], "weight_bits": 12, "weight_int_bits": 4, "act_bits": 14,
              "act_int_bits": 8, "sparsity": 0.0},
    "training": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "patience": 3},
    "hls4ml": {"max_emulation_samples": 40, "input_precision": "ap_fixed<14,5,RND,SAT>"},
    "sampler": {"name": "random", "seed": 3},
    "objectives": ["mpe", "emulated_resolution_iqr", "lut"],
    "constraints": {"max_mae": 1e6},
    "n_trials": 2,
    "timeout_per_trial_s": 300,
    "enqueue": [{"quantization": "qat", "aggregation": "mean"}, {"quantization": "ptq", "aggregation": "max"}],
}


def test_two_trial_regression_study_end_to_end(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HLS_SWEEP_CACHE", str(tmp_path / "cache"))
    source = write_clusters(tmp_path / "clusters.npz", n=300, cells=16)
    doc = json.loads(json.dumps(REGRESSION_STUDY))
    doc["data"]["source"] = str(source)
    doc["storage"] = f"sqlite:///{tmp_path / 'trials.db'}"
    doc["artifacts_dir"] = str(tmp_path / "projects")
    study_file = tmp_path / "study.yaml"
    study_file.write_text(yaml.safe_dump(doc))
    assert main(["validate", str(study_file)]) == 0
    assert "300 regression clusters" in capsys.readouterr().out
    assert main(["run", str(study_file)]) == 0

    study = optuna.load_study(study_name="calo", storage=doc["storage"])
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 2, [t.user_attrs.get("fail_reason") for t in study.trials]
    for trial in complete:
        m = trial.user_attrs["metrics"]
        for name in ("mae", "mpe", "keras_resolution_median", "keras_resolution_iqr",
                     "emulated_resolution_median", "emulated_resolution_iqr", "keras_mse", "emulated_mse"):
            assert math.isfinite(m[name]), (name, m[name])
        assert trial.values[0] == m["mpe"] and trial.values[1] == m["emulated_resolution_iqr"]
        assert m["n_emulated"] == 40 and m["mpe"] >= 0 and m["emulated_resolution_iqr"] >= 0
        ids = trial.user_attrs.get("artifact_ids", {})
        assert "roc" not in ids and "response" in ids
        page = fetch_artifact(study, trial, "response", tmp_path / f"response{trial.number}.html").read_text()
        assert "Keras median" in page and "emulated median" in page and "true (GeV)" in page
    assert {t.user_attrs["design"]["quantization"] for t in complete} == {"qat", "ptq"}
