"""Artifacts in the study's store and ``sweep export``, for real: two workers in different working folders
train real QKeras models into one SQLite study and one artifact store; from a third folder ``export`` and
``synth`` find everything, and the exported hls4ml project, compiled with plain hls4ml, reproduces the
trial's stored emulated accuracy exactly. (Bad input: the ``export-*`` rows of tests/test_user_mistakes.py.)
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from sweep.artifacts import ARTIFACT_KINDS, fetch_artifact, plotly_js_id
from sweep.cli import main
from sweep.metrics import classification_metrics
from test_study_e2e import TINY_STUDY


@pytest.fixture(scope="module")
def two_worker_study(tmp_path_factory, quickstart_dir: Path):
    """One trial from worker folder ``a`` (creates the study), one from ``b`` (joins from the storage alone);
    the study file names relative folders, so each worker keeps its local files in its own folder."""
    root = tmp_path_factory.mktemp("workers")
    storage = f"sqlite:///{root / 'trials.db'}"
    doc = json.loads(json.dumps(TINY_STUDY))
    doc.update(storage=storage, artifacts_dir="projects", n_trials=1)
    doc["data"]["source"] = str(quickstart_dir)
    (root / "study.yaml").write_text(yaml.safe_dump(doc))
    with pytest.MonkeyPatch.context() as patch:
        for worker, argv in (("a", ["run", str(root / "study.yaml")]),
                             ("b", ["run", "--storage", storage, "--study-name", "tiny", "--n-trials", "1"])):
            (root / worker).mkdir()
            patch.chdir(root / worker)
            assert main(argv) == 0
    return root, storage


def _load(storage: str) -> optuna.Study:
    return optuna.load_study(study_name="tiny", storage=storage)


def test_workers_in_different_folders_share_one_artifact_store(two_worker_study) -> None:
    root, storage = two_worker_study
    study = _load(storage)
    store = Path(study.user_attrs["artifact_store"])
    assert store == root / "a" / "projects" / "artifact_store"  # resolved where the study was created
    assert not (root / "b" / "projects" / "artifact_store").exists()
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 2
    for trial in complete:
        ids = trial.user_attrs["artifact_ids"]
        assert set(ids) == set(ARTIFACT_KINDS) - {"response"}  # a classifier: roc, no response
        assert all((store / artifact_id).is_file() for artifact_id in ids.values())
        # listed where optuna-dashboard looks for a trial's artifacts
        listed = {meta.artifact_id for meta in optuna.artifacts.get_all_artifact_meta(trial, storage=study._storage)}
        assert listed == set(ids.values())
    # the same emulated samples are stored once; plotly.js once for the study
    assert complete[0].user_attrs["artifact_ids"]["x_test"] == complete[1].user_attrs["artifact_ids"]["x_test"]
    assert {m.artifact_id for m in optuna.artifacts.get_all_artifact_meta(study)} == {plotly_js_id()}


def test_stored_artifacts_are_what_they_say(two_worker_study, tmp_path: Path) -> None:
    _, storage = two_worker_study
    study = _load(storage)
    trial = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))[0]  # trial 0: cross-checked (compiled)
    assert trial.user_attrs["cross_check"]["bit_exact_fraction"] == 1.0
    with tarfile.open(fetch_artifact(study, trial, "hls4ml_project", tmp_path)) as tar:
        names = tar.getnames()
    assert "hls4ml_prj/build_prj.tcl" in names and "hls4ml_prj/firmware/myproject.cpp" in names
    assert not [n for n in names if n.endswith(".so") or "/build/" in n or n.startswith("hls4ml_prj/myproject_prj")]
    config = json.loads(fetch_artifact(study, trial, "hls4ml_config", tmp_path).read_text())
    assert config["layer_precisions"] == trial.user_attrs["layer_precisions"] and "Model" in config["hls_config"]
    cost = json.loads(fetch_artifact(study, trial, "hardware_cost", tmp_path).read_text())
    assert cost["sources"]["lut"] == "estimate:analytic" and cost["values"]["lut"] == trial.user_attrs["metrics"]["lut"]
    for kind in ("profile", "roc"):
        page = fetch_artifact(study, trial, kind, tmp_path).read_text()
        assert "Plotly.newPlot" in page and "data-hls-sweep" not in page  # plotly.js inlined on download
    profile = fetch_artifact(study, trial, "profile", tmp_path).read_text()
    assert all(json.dumps(row)[1:-1] in profile for row in ("phi_0 · weight", "pool · output", "output · bias"))
    x = np.load(fetch_artifact(study, trial, "x_test", tmp_path))
    y = np.load(fetch_artifact(study, trial, "y_test", tmp_path))
    assert len(x) == len(y) == trial.user_attrs["metrics"]["n_emulated"]


def test_export_and_synth_from_a_third_folder(two_worker_study, monkeypatch, capsys) -> None:
    root, storage = two_worker_study
    study = _load(storage)
    best = max(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)),
               key=lambda t: t.user_attrs["metrics"]["emulated_accuracy"])
    third = root / "c"
    third.mkdir()
    monkeypatch.chdir(third)
    assert main(["export", "--storage", storage, "--study-name", "tiny", "--trial", str(best.number),
                 "--out", "exported"]) == 0
    out = third / "exported"
    assert {p.name for p in out.iterdir()} == {"model.h5", "hls4ml_prj", "hls4ml_config.json", "hardware_cost.json",
                                               "x_test.npy", "y_test.npy", "versions.json", "trial.json", "README.md"}
    assert (out / "hls4ml_prj" / "build_prj.tcl").is_file()
    assert "csim       0" in (out / "hls4ml_prj" / "build_opt.tcl").read_text()
    versions = json.loads((out / "versions.json").read_text())
    assert versions["seed"] == best.user_attrs["seed"] and versions["trial_versions"]["hls4ml"] == "1.3.0"
    readme = (out / "README.md").read_text()
    assert "vitis_hls -f build_prj.tcl" in readme and "link_existing_project" in readme
    assert "warning" not in capsys.readouterr().err  # the re-converted config is the trial's

    # Plain hls4ml, no hls-sweep: compile the exported project and re-emulate the exported samples.
    import hls4ml

    hls_model = hls4ml.converters.link_existing_project(str(out / "hls4ml_prj"))
    hls_model.compile()
    x, y = np.load(out / "x_test.npy").astype(np.float32), np.load(out / "y_test.npy")
    pred = np.asarray(hls_model.predict(np.ascontiguousarray(x)), dtype=np.float64).reshape(len(x), -1)
    names = tuple(str(i) for i in range(y.shape[1]))
    assert classification_metrics(y, pred, pred, names)["emulated_accuracy"] == \
        best.user_attrs["metrics"]["emulated_accuracy"]

    # synth from here too: model and samples come from the store; no Vitis here, so it is skipped with the reason
    shutil.rmtree(out)
    assert shutil.which("vitis_hls") is None
    assert main(["synth", "--storage", storage, "--study-name", "tiny", "--top", "1"]) == 0
    study = _load(storage)
    (check,) = [v for k, v in study.user_attrs.items() if k.startswith("cross_check:")]
    assert check["status"] == "done" and check["bit_exact_fraction"] == 1.0 and check["n"] == 400
    (record,) = [v for k, v in study.user_attrs.items() if k.startswith("synthesis:")]
    assert record["status"] == "skipped" and "vitis_hls" in record["reason"]
    assert list(third.iterdir()) == []  # nothing left behind in the third folder


def test_export_refuses_a_missing_store_and_writes_nothing(two_worker_study, tmp_path, monkeypatch, capsys) -> None:
    root, storage = two_worker_study
    store = root / "a" / "projects" / "artifact_store"
    monkeypatch.chdir(tmp_path)
    store.rename(store.with_name("moved"))
    try:
        assert main(["export", "--storage", storage, "--study-name", "tiny", "--trial", "0", "--out", "x"]) == 2
    finally:
        store.with_name("moved").rename(store)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: artifact store ") and "not found" in err[0]
    assert list(tmp_path.iterdir()) == []
