"""``sweep trace``, for real: (a) a QKeras DeepSets whose ``phi_1`` result type is starved is traced and that layer
is named the first to overflow, with a wider ``ap_fixed`` that covers its range; (c) the numpy emulator's
per-layer values match hls4ml's own compiled tracing bit for bit; (b) a one-trial real study is traced from
another folder through the artifact store: table, ``--json``, and the record stored on the study.
(Bad input: the ``trace-*`` rows of tests/test_user_mistakes.py.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from hls_workers.records import HardwareJob, HlsSettings, LayerQuant
from sweep.cli import main
from test_study_e2e import TINY_STUDY

NAMES = ["phi_0", "phi_1", "rho_0", "output"]
QUANT = LayerQuant(8, 0, 8, 3)  # weights quantized_bits(8,0), activations quantized_relu(8,3)


@pytest.fixture(scope="module")
def traced_model(tmp_path_factory):
    """A small QAT DeepSets (weights on their quantizer grid), its samples, and a trace job builder."""
    from sweep.design import Design
    from sweep.models import get_family
    from sweep.training import set_seed

    tmp = tmp_path_factory.mktemp("trace")
    set_seed(0)
    rng = np.random.default_rng(0)
    design = Design(family="deepsets", architecture={"n_constituents": None, "phi": [12, 10], "rho": [8],
                                                     "aggregation": "mean"},
                    layer_quant={n: QUANT for n in NAMES}, quantization="qat")
    model = get_family("deepsets").build(design, (8, 3), 5, "classification")
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([np.round(rng.uniform(-0.9, 0.9, w.shape) * 128) / 128 for w in layer.get_weights()])
    model.save(tmp / "model.h5")
    np.save(tmp / "x.npy", rng.normal(size=(300, 8, 3)).astype(np.float32))

    def job(name: str) -> HardwareJob:
        return HardwareJob(model_path=str(tmp / "model.h5"), x_path=str(tmp / "x.npy"), output_dir=str(tmp / name),
                           quantization="qat", layer_quant=design.layer_quant, settings=HlsSettings())
    return job


@pytest.fixture(scope="module")
def starved(traced_model):
    from hls_workers.trace import TraceJob, run_trace

    return run_trace(TraceJob(traced_model("starved"), samples=300, cross_check_samples=10,
                              precision_overrides={"phi_1": {"result": "fixed<8,1>"}}))


def _by_layer(record: dict) -> dict[str, dict]:
    return {row["layer"]: row for row in record["layers"]}


def test_sane_precision_has_no_overflow(traced_model) -> None:
    from hls_workers.trace import TraceJob, run_trace

    record = run_trace(TraceJob(traced_model("sane"), samples=300, cross_check_samples=0))
    assert record["first_overflow"] is None and record["source"] == "numpy"
    assert record["cross_check"]["status"] == "skipped"
    rows = _by_layer(record)
    assert list(rows)[:3] == ["constituents", "phi_0", "phi_0_act"]
    assert record["keras_only"] == ["output_softmax"]  # skipped by hls4ml: logits compared
    assert rows["phi_1"]["max_abs_diff"] < 0.1  # within the resolution of the 8-bit input and activations
    for name in NAMES:
        assert rows[name]["overflow"] == 0.0 and rows[name]["keras_layer"] == name


def test_starved_layer_is_named_first_with_a_covering_type(starved) -> None:
    rows = _by_layer(starved)
    assert starved["first_overflow"] == "phi_1"
    order = list(rows)
    assert all(rows[name]["overflow"] in (0.0, None) for name in order[:order.index("phi_1")])
    row = rows["phi_1"]
    assert row["type"] == "fixed<8,1>" and row["overflow"] > 0.05
    assert row["mean_abs_diff"] > 10 * rows["phi_0"]["mean_abs_diff"]
    width, integer = map(int, re.fullmatch(r"ap_fixed<(\d+),(\d+)>", row["proposed"]).groups())
    assert width - integer == 7 and integer > 1  # same resolution, more integer bits
    assert -(2.0 ** (integer - 1)) <= row["keras_min"] and row["keras_max"] <= 2.0 ** (integer - 1) - 2.0 ** -7
    assert row["keras_max"] > 2.0 ** (integer - 2) - 2.0 ** -7 or row["keras_min"] < -(2.0 ** (integer - 2))  # smallest
    assert 0.0 <= row["underflow"] <= 1.0


def test_numpy_trace_is_bit_exact_with_hls4ml_trace(starved) -> None:
    check = starved["cross_check"]
    assert check["status"] == "done" and check["n"] == 10
    assert set(check["layers"]) >= set(NAMES) | {"phi_0_act", "phi_1_act", "pool", "rho_0_act"}
    assert all(fraction == 1.0 for fraction in check["layers"].values()), check
    assert check["bit_exact_fraction"] == 1.0
    assert all(row["bit_exact"] == 1.0 for row in starved["layers"] if row["layer"] != "constituents")


@pytest.fixture(scope="module")
def one_trial_study(tmp_path_factory, quickstart_dir: Path):
    root = tmp_path_factory.mktemp("study")
    storage = f"sqlite:///{root / 'trials.db'}"
    doc = json.loads(json.dumps(TINY_STUDY))
    doc.update(storage=storage, artifacts_dir="projects", n_trials=1)
    doc["data"]["source"] = str(quickstart_dir)
    doc["training"]["epochs"] = 2
    doc["hls4ml"]["cross_check_every"] = 0
    (root / "study.yaml").write_text(yaml.safe_dump(doc))
    (root / "a").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root / "a")
        assert main(["run", str(root / "study.yaml")]) == 0
    return root, storage


def test_trace_a_study_trial_from_another_folder(one_trial_study, monkeypatch, capsys) -> None:
    root, storage = one_trial_study
    other = root / "c"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setattr("rich.console.Console.width", property(lambda self: 100))
    trial = optuna.load_study(study_name="tiny", storage=storage).trials[0]
    hls_layers = list(trial.user_attrs["layer_precisions"])

    assert main(["trace", "--storage", storage, "--study-name", "tiny", "--trial", "0", "--samples", "200",
                 "--cross-check", "5"]) == 0
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert all(len(line) <= 100 for line in lines)
    for name in hls_layers:
        assert any(line.split() and line.split()[0] == name for line in lines), name
    assert "ovf %" in table and "covers range" in table and "bit-exact fraction 1.0" in table

    assert main(["trace", "--storage", storage, "--study-name", "tiny", "--trial", "0", "--samples", "100",
                 "--cross-check", "0", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n_samples"] == 100 and [row["layer"] for row in record["layers"]] == hls_layers
    assert {"max_abs_diff", "mean_abs_diff", "overflow", "underflow", "proposed", "type"} <= set(record["layers"][1])

    study = optuna.load_study(study_name="tiny", storage=storage)
    stored = study.user_attrs["trace:0"]
    assert stored["n_samples"] == 100 and stored["artifact_id"] == record["artifact_id"]
    listed = {m.artifact_id: m.filename for m in optuna.artifacts.get_all_artifact_meta(study)}
    assert listed[record["artifact_id"]] == "trace_trial_0.json"
    stored_file = Path(study.user_attrs["artifact_store"]) / record["artifact_id"]
    assert json.loads(stored_file.read_text())["layers"] == record["layers"]
    assert list(other.iterdir()) == []  # nothing written in the working folder
