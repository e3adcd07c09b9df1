"""``sweep estimate --per-layer``: each layer's cost and own latency, next to the report instance of that layer
when an --hls-project has a C-synthesis report; and the pairing of layers with report instances."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from hls_workers.estimate.instance_pairing import instance_kind, pair_instances
from sweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "tests" / "fixtures" / "vivado_reports"


def _layer(name: str, kind: str, lut: int, dsp: int = 0) -> dict:
    return {"name": name, "kind": kind, "lut": lut, "dsp": dsp}


def _instance(module: str, lut: int, dsp: int = 0, latency: int = 1) -> dict:
    return {"module": module, "lut": lut, "dsp": dsp, "latency": latency}


def test_instances_are_classified_by_their_function_name():
    assert instance_kind("dense_latency_ap_fixed_16_6_5_3_0_ap_fixed_16_6_5_3_0_config2_s") == "dense"
    assert instance_kind("dense_latency_0_0_0_0_0_0_0_0") == "dense"  # Vivado HLS 2019: no layer index
    assert instance_kind("relu_ap_fixed_16_6_5_3_0_ap_ufixed_6_0_4_0_0_relu_config4_s") == "relu"
    assert instance_kind("softmax_stable_ap_fixed_ap_fixed_16_6_5_3_0_softmax_config13_s") == "softmax"
    assert instance_kind("sigmoid_ap_fixed_ap_fixed_18_8_5_3_0_sigmoid_config7_s") == "activation"
    assert instance_kind("linear_ap_fixed_ap_fixed_64_16_5_3_0_linear_config3_s") == "passthrough"
    assert instance_kind("myproject_entry_proc") is None


def test_layers_pair_with_instances_of_their_kind_by_resources():
    layers = [_layer("fc1", "dense", 20_000, 450), _layer("relu1", "relu", 1_000),
              _layer("fc2", "dense", 3_000, 100), _layer("relu2", "relu", 400)]
    # report order differs from the layers' and the dense names carry no index
    instances = [_instance("relu_b", 380), _instance("dense_latency_0_0", 3_400, 110),
                 _instance("relu_a", 1_100), _instance("dense_latency_0_1", 22_000, 468)]
    pairs = pair_instances(layers, instances)
    assert [(layer["name"], inst["module"]) for layer, inst in pairs] == [
        ("fc1", "dense_latency_0_1"), ("relu1", "relu_a"), ("fc2", "dense_latency_0_0"), ("relu2", "relu_b")]
    # only the kinds asked for
    assert [layer["name"] for layer, _ in pair_instances(layers, instances, kinds=("dense",))] == ["fc1", "fc2"]


def test_a_kind_with_a_different_count_is_left_unpaired():
    layers = [_layer("fc1", "dense", 2_000, 40), _layer("fc2", "dense", 500, 10), _layer("sm", "softmax", 600, 5)]
    instances = [_instance("dense_latency_x", 2_100, 41), _instance("softmax_stable_y", 700, 5)]
    pairs = pair_instances(layers, instances)
    assert [(layer["name"], inst["module"]) for layer, inst in pairs] == [("sm", "softmax_stable_y")]


def test_many_layers_of_one_kind_still_pair_by_resources():
    layers = [_layer(f"fc{i}", "dense", 1_000 * (i + 1), 10 * (i + 1)) for i in range(10)]
    instances = [_instance(f"dense_{i}", 1_000 * (i + 1) + 37, 10 * (i + 1)) for i in reversed(range(10))]
    assert all(layer["name"][2:] == inst["module"][6:] for layer, inst in pair_instances(layers, instances))


def _estimate(capsys, *args) -> dict:
    rc = main(["estimate", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return json.loads(captured.out)


def test_per_layer_rows_add_up_to_the_totals(capsys, small):
    payload = _estimate(capsys, small, "--part", "xcu250", "--per-layer")
    rows = payload["per_layer"]
    assert [row["name"] for row in rows][:2] == ["fc1", "relu1"]
    assert {row["kind"] for row in rows} >= {"dense", "relu", "softmax"}
    for key in ("lut", "dsp", "ff"):
        assert abs(sum(row[key] for row in rows) - payload[key]) <= len(rows)  # per-layer values are rounded
    assert all(row["latency"] >= 0 and "reported" not in row for row in rows)
    assert "per_layer" not in _estimate(capsys, small, "--part", "xcu250")


def test_an_estimator_without_layer_rows_gives_a_note_not_a_traceback(capsys, small):
    """da4ml (distributed arithmetic) costs the network as one graph: no per-layer rows, one note."""
    payload = _estimate(capsys, small, "--part", "xcu250", "--strategy", "distributed_arithmetic", "--per-layer")
    assert payload["per_layer"] == []
    assert any("no per-layer breakdown" in note for note in payload["notes"])


@pytest.fixture(scope="module")
def dense_relu_project(tmp_path_factory) -> Path:
    """A one-Dense, one-ReLU project written by hls4ml, holding the fixture's io_stream C-synthesis report (one
    dense and one relu instance): the kinds match, so each layer pairs with its instance."""
    import hls4ml
    import tensorflow as tf

    inp = tf.keras.Input((16,), name="input_1")
    out = tf.keras.layers.Activation("relu", name="relu1")(tf.keras.layers.Dense(5, name="fc1")(inp))
    model = tf.keras.Model(inp, out)
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado",
                                                  default_precision="ap_fixed<16,6>")
    root = tmp_path_factory.mktemp("dense_relu")
    model.save(root / "model.h5")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir="prj", backend="Vivado", part="xcku115-flvb2104-2-i",
            clock_period=5, io_type="io_parallel").write()
    finally:
        os.chdir(cwd)
    project = root / "prj"
    report_dir = project / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(REPORTS / "vivado_hls.app", project / "myproject_prj")
    shutil.copy(REPORTS / "myproject_csynth.rpt", report_dir)
    return project


def test_project_layers_sit_next_to_their_report_instances(capsys, dense_relu_project):
    payload = _estimate(capsys, "--hls-project", dense_relu_project, "--per-layer")
    rows = {row["name"]: row for row in payload["per_layer"]}
    assert rows["fc1"]["reported"] == {"instance": "dense_array_array_ap_fixed_16_6_5_3_0_5u_config2_s",
                                       "lut": 2134, "dsp": 73, "ff": 7860, "bram_18k": 0, "latency": 7, "ii": 7}
    assert rows["relu1"]["reported"]["latency"] == 2 and rows["relu1"]["reported"]["lut"] == 256
    assert main(["estimate", "--hls-project", str(dense_relu_project), "--per-layer"]) == 0
    out = capsys.readouterr().out
    assert "per layer (estimate / reported instance)" in out and "2,134" in out


def test_a_report_of_another_network_is_not_forced_onto_the_layers(capsys, project, tmp_path):
    """The small MLP (three dense layers, two ReLUs) against a report with one of each: nothing is paired."""
    copy = tmp_path / "prj"
    shutil.copytree(project, copy)
    report_dir = copy / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(REPORTS / "vivado_hls.app", copy / "myproject_prj")
    shutil.copy(REPORTS / "myproject_csynth.rpt", report_dir)
    payload = _estimate(capsys, "--hls-project", copy, "--per-layer")
    assert payload["per_layer"] and not any("reported" in row for row in payload["per_layer"])
