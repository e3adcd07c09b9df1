"""An hls4ml project read from its firmware (hls_workers/firmware_network.py) and ``sweep estimate --hls-project``
on a project whose Keras model is missing or does not load: real projects written by hls4ml (conftest
``project``), compared with the estimate of the same project through its Keras model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hls_workers.firmware_network import FirmwareError, read_firmware, read_weights
from sweep.cli import main

KEYS = ("lut", "dsp", "ff", "bram", "latency_cycles", "ii")


def _copy(project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "prj"
    shutil.copytree(project, copy)
    return copy


def _run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["estimate", *map(str, args)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_firmware_holds_the_layers_types_and_weights_hls4ml_wrote(project, small):
    from hls_workers.emulate import load_keras_model

    description = read_firmware(project)
    kinds = [(layer["kind"], layer["name"]) for layer in description["layers"]]
    assert kinds == [("dense", "fc1"), ("relu", "relu1"), ("dense", "fc2"), ("relu", "relu2"), ("dense", "output"),
                     ("softmax", "softmax")]
    dense = {layer["name"]: layer for layer in description["layers"] if layer["kind"] == "dense"}
    assert [dense[n]["reuse_factor"] for n in ("fc1", "fc2", "output")] == [1, 2, 1]  # the project's fc2 RF 2
    assert (dense["fc1"]["n_in"], dense["fc1"]["n_out"], dense["fc1"]["weight"]) == (8, 16, "ap_fixed<16,6>")
    keras = load_keras_model(str(small))
    weights = read_weights(project / "firmware" / "weights", description)
    for name in ("fc1", "fc2", "output"):
        kernel, bias = keras.get_layer(name).get_weights()
        assert np.allclose(weights[name][0], kernel, atol=1e-6) and np.allclose(weights[name][1], bias, atol=1e-6)


@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_project_without_a_usable_model_is_estimated_from_its_firmware(capsys, project, tmp_path, damage):
    copy = _copy(project, tmp_path)
    rc, out, err = _run(capsys, "--hls-project", copy, "--json")
    assert rc == 0, err
    through_keras = json.loads(out)
    for model_file in copy.glob("keras_model.*"):
        model_file.unlink() if damage == "missing" else model_file.write_bytes(b"not a model")
    rc, out, err = _run(capsys, "--hls-project", copy, "--json")
    assert rc == 0, err
    from_firmware = json.loads(out)
    assert {k: from_firmware[k] for k in KEYS} == {k: through_keras[k] for k in KEYS}
    assert from_firmware["notes"][0].startswith("model rebuilt from the project's firmware")


def test_a_model_argument_is_never_replaced_by_the_firmware(capsys, project, tmp_path):
    copy = _copy(project, tmp_path)
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a model")
    rc, out, err = _run(capsys, bad, "--hls-project", copy)
    assert rc == 2 and err.startswith("error: ") and "is not a Keras/QKeras model" in err, err


def test_firmware_that_cannot_stand_in_is_one_error_line(capsys, project, tmp_path):
    copy = _copy(project, tmp_path)
    for model_file in copy.glob("keras_model.*"):
        model_file.unlink()
    cpp = copy / "firmware" / "myproject.cpp"
    cpp.write_text(cpp.read_text().replace("nnet::relu<", "nnet::leaky_relu<", 1))
    rc, out, err = _run(capsys, "--hls-project", copy)
    lines = err.splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "firmware cannot stand in" in lines[0] and "nnet::leaky_relu is not read" in lines[0]


def test_weights_of_the_wrong_size_are_refused(project, tmp_path):
    copy = _copy(project, tmp_path)
    (copy / "firmware" / "weights" / "w2.txt").write_text("0.5, 0.25")
    with pytest.raises(FirmwareError, match="hold 2/"):
        read_weights(copy / "firmware" / "weights", read_firmware(copy))


def _keras3_file(path: Path) -> Path:
    """A .keras archive as Keras 3 writes it (its config names keras.src.models.functional), which Keras 2.15
    refuses with a message quoting the whole model config."""
    import zipfile

    layers = [{"module": "keras.layers", "class_name": "Dense", "config": {"name": f"dense_{i}", "units": 8}}
              for i in range(30)]
    config = {"module": "keras.src.models.functional", "class_name": "Functional",
              "config": {"name": "functional", "layers": layers}, "registered_name": "Functional"}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"")
    return path


def test_keras3_model_error_is_one_short_line(capsys, tmp_path):
    rc, out, err = _run(capsys, _keras3_file(tmp_path / "model.keras"), "--part", "xcu250")
    lines = err.splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "is not a Keras/QKeras model" in lines[0]
    assert len(lines[0]) < 300, lines[0]


def test_project_with_a_keras3_model_is_estimated_from_its_firmware(capsys, project, tmp_path):
    copy = _copy(project, tmp_path)
    for model_file in copy.glob("keras_model.*"):
        _keras3_file(model_file)
    rc, out, err = _run(capsys, "--hls-project", copy, "--json")
    assert rc == 0, err
    note = json.loads(out)["notes"][0]
    assert note.startswith("model rebuilt from the project's firmware") and "Could not deserialize" in note


def test_firmware_flag_costs_the_firmware_even_when_the_model_loads(capsys, project):
    rc, out, err = _run(capsys, "--hls-project", project, "--json")
    through_keras = json.loads(out)
    rc, out, err = _run(capsys, "--hls-project", project, "--firmware", "--json")
    assert rc == 0, err
    payload = json.loads(out)
    assert payload["notes"][0].startswith("model rebuilt from the project's firmware")
    assert {k: payload[k] for k in KEYS} == {k: through_keras[k] for k in KEYS}


@pytest.mark.parametrize("args", [["--firmware", "--part", "xcu250"], ["{SMALL}", "--firmware", "--hls-project", "{PRJ}"]])
def test_firmware_flag_needs_a_project_and_no_model(capsys, project, small, args):
    argv = [str(small) if a == "{SMALL}" else str(project) if a == "{PRJ}" else a for a in args]
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and err.startswith("error: --firmware reads an --hls-project's firmware") and err.count("\n") == 1


def test_two_heads_on_one_layer_are_read_as_written(capsys, tmp_path):
    """A project hls4ml writes for a two-output network (tau ID and pT heads on one ReLU): the firmware route
    wires both heads and gives the Keras route's estimate."""
    import hls4ml
    import tensorflow as tf

    inputs = tf.keras.Input((12,), name="input_1")
    hidden = tf.keras.layers.Activation("relu", name="relu1")(tf.keras.layers.Dense(10, name="fc1")(inputs))
    tau_id = tf.keras.layers.Activation("sigmoid", name="id_out")(tf.keras.layers.Dense(1, name="id")(hidden))
    pt = tf.keras.layers.Dense(1, name="pt")(hidden)
    model = tf.keras.Model(inputs, [tau_id, pt])
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis",
                                                  default_precision="ap_fixed<16,6>")
    project = tmp_path / "prj"
    hls4ml.converters.convert_from_keras_model(model, hls_config=config, output_dir=str(project), backend="Vitis",
                                               part="xcu250-figd2104-2L-e", io_type="io_parallel").write()
    description = read_firmware(project)
    assert [(layer["name"], layer["reads"]) for layer in description["layers"] if layer["name"] in ("id", "pt")] \
        == [("id", description["layers"][1]["writes"]), ("pt", description["layers"][1]["writes"])]
    rc, out, err = _run(capsys, "--hls-project", project, "--json")
    assert rc == 0, err
    through_keras = json.loads(out)
    rc, out, err = _run(capsys, "--hls-project", project, "--firmware", "--json")
    assert rc == 0, err
    assert {k: json.loads(out)[k] for k in KEYS} == {k: through_keras[k] for k in KEYS}


def test_incomplete_parameters_h_is_one_error_line(capsys, project, tmp_path):
    """A dense config struct without its weight type: one line naming what is missing, no traceback."""
    copy = _copy(project, tmp_path)
    for model_file in copy.glob("keras_model.*"):
        model_file.unlink()
    parameters = copy / "firmware" / "parameters.h"
    parameters.write_text(parameters.read_text().replace("typedef fc1_weight_t weight_t;", ""))
    rc, out, err = _run(capsys, "--hls-project", copy)
    lines = err.splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "fc1: no complete config struct" in lines[0] and "missing weight_t" in lines[0]
