"""``sweep estimate``: JSON output with sources; bad input is a one-line UserError."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

import tutorial_rows as tr
from sweep.cli.estimate import estimate
from sweep.errors import UserError

KEYS = ("lut", "dsp", "ff", "bram", "latency_cycles", "latency_ns", "ii")


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()
    app.command()(estimate)
    return app


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    paths = {}
    for key, row in (("float", tr.ROWS[0]), ("qkeras", tr.ROWS[2])):
        paths[key] = root / f"{key}.h5"
        tr.build_model(row).save(paths[key])
    return paths


def _run(app, args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("kind", ["float", "qkeras"])
def test_json_keys_and_sources(app, models, kind):
    result = _run(app, [models[kind], "--part", "xcu250", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    for key in KEYS:
        assert payload[f"{key}_source"] == "estimate:analytic"
        assert payload[key] is not None
    assert payload["part"] == "xcu250-figd2104-2L-e"
    assert payload["latency_ns"] == payload["latency_cycles"] * 5.0


def test_quantizers_win_over_precision(app, models):
    """--precision reaches the float input only: 16-bit weights would put most products on DSPs."""
    a = json.loads(_run(app, [models["qkeras"], "--part", "xcu250", "--json"]).output)
    b = json.loads(_run(app, [models["qkeras"], "--part", "xcu250", "--json", "--precision", "ap_fixed<16,3>"]).output)
    c = json.loads(_run(app, [models["float"], "--part", "xcu250", "--json", "--precision", "ap_fixed<16,3>"]).output)
    assert a["dsp"] == b["dsp"] < c["dsp"]


def test_backend_changes_lut_and_uncertainty(app, models):
    """Vivado HLS (12.5 % clock uncertainty) reports fewer LUTs and no more cycles than Vitis HLS (27 %)."""
    vitis = json.loads(_run(app, [models["float"], "--part", "xcu250", "--json"]).output)
    vivado = json.loads(_run(app, [models["float"], "--part", "xcu250", "--json", "--backend", "vivado"]).output)
    assert vivado["lut"] < vitis["lut"] and vivado["dsp"] == vitis["dsp"]
    assert vivado["latency_cycles"] <= vitis["latency_cycles"]


def test_table_output(app, models):
    result = _run(app, [models["float"], "--part", "xcvu13p", "--reuse", "2", "--strategy", "resource"])
    assert result.exit_code == 0, result.output
    assert "estimate:analytic" in result.output and "dsp" in result.output


def test_da4ml_estimator(app, models):
    result = _run(app, [models["qkeras"], "--part", "xcu250", "--json", "--estimator", "da4ml"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["dsp"] == 0 and payload["lut_source"] == "da4ml"


@pytest.mark.parametrize("args, match", [
    (["{missing}", "--part", "xcu250"], "not found"),
    (["{text}", "--part", "xcu250"], "not a Keras"),
    (["{float}", "--part", "xc9999"], "unknown FPGA part"),
    (["{float}", "--part", "xcu250", "--precision", "ap_fixed<16"], "precision"),
    (["{float}", "--part", "xcu250", "--strategy", "dataflow"], "unknown strategy"),
    (["{float}", "--part", "xcu250", "--estimator", "magic"], "unknown estimator"),
    (["{float}", "--part", "xcu250", "--estimator", "csynth"], "unavailable"),
    (["{float}", "--part", "xcu250", "--backend", "quartus"], "--backend"),
])
def test_bad_input_is_one_line_user_error(app, models, tmp_path, args, match):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    paths = {"missing": tmp_path / "none.h5", "text": text, "float": models["float"]}
    result = _run(app, [a.format(**paths) for a in args])
    assert isinstance(result.exception, UserError), result.output
    message = str(result.exception)
    assert match in message and "\n" not in message
