"""da4ml estimator: exact (matches hls4ml's own DA kernel cost), deterministic, DSP-free."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hls_workers.estimate import get_estimator


def _model(seed: int = 1, width: int = 4):
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    rng = np.random.default_rng(seed)
    q = quantized_bits(4, 0, alpha=1)
    inp = tf.keras.Input((8,), name="x")
    out = QDense(width, kernel_quantizer=q, bias_quantizer=q, name="d")(inp)
    model = tf.keras.Model(inp, out)
    model.get_layer("d").set_weights([np.round(rng.uniform(-1, 1, (8, width)) * 8) / 8, np.zeros(width)])
    return model


def _convert(model, tmp_path, strategy: str):
    import hls4ml

    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    config["LayerName"]["d"]["Strategy"] = strategy
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(tmp_path / strategy), backend="Vitis",
        part="xcvu13p-flga2577-2-e", io_type="io_parallel")


def test_available():
    assert get_estimator("da4ml").available() == (True, "")


def test_exact_vs_hls4ml_da_strategy_and_deterministic(tmp_path):
    model = _model()
    ours = get_estimator("da4ml").estimate(_convert(model, tmp_path, "Latency"))
    again = get_estimator("da4ml").estimate(_convert(model, tmp_path, "Latency"))
    da_graph = _convert(model, tmp_path, "distributed_arithmetic")
    hls4ml_cost = next(l.attributes["da_kernel_cost"] for l in da_graph.get_layers() if "da_kernel_cost" in l.attributes)
    assert ours.lut.value == hls4ml_cost
    assert ours.to_dict() == again.to_dict()
    assert ours.dsp.value == 0 and ours.dsp.source == "da4ml"
    assert ours.latency_cycles.value >= 1 and ours.ii.value == 1


@pytest.mark.slow
def test_compiled_solver_gives_the_same_cost(tmp_path):
    """The default run interprets da4ml's numba code (tests/conftest.py); compiled, it gives the same cost."""
    code = (
        "import json, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from pathlib import Path\n"
        "from test_da4ml import _convert, _model\n"
        "from hls_workers.estimate import get_estimator\n"
        "print(json.dumps(get_estimator('da4ml').estimate(_convert(_model(), Path(sys.argv[1]), 'Latency')).to_dict()))\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "0"}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    interpreted = get_estimator("da4ml").estimate(_convert(_model(), tmp_path / "here", "Latency")).to_dict()
    assert compiled == interpreted


def test_unsupported_layers_are_refused(tmp_path):
    import hls4ml
    import tensorflow as tf

    from hls_workers.estimate import EstimatorUnavailable

    inp = tf.keras.Input((4, 3))
    x = tf.keras.layers.Dense(4)(inp)
    x = tf.keras.layers.GlobalMaxPooling1D()(x)
    model = tf.keras.Model(inp, x)
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    graph = hls4ml.converters.convert_from_keras_model(model, hls_config=config, output_dir=str(tmp_path / "p"),
                                                       backend="Vitis", io_type="io_parallel")
    with pytest.raises(EstimatorUnavailable, match="Dense networks only"):
        get_estimator("da4ml").estimate(graph)


def test_da_cost_agrees_with_yosys_within_10_percent(tmp_path):
    yosys = get_estimator("yosys")
    ok, reason = yosys.available()
    if not ok:
        pytest.skip(reason)
    graph = _convert(_model(width=8), tmp_path, "Latency")
    da = get_estimator("da4ml").estimate(graph).lut.value
    synthesized = yosys.estimate(graph).lut.value
    print(f"da4ml LUT {da:.0f}, yosys synth_xilinx LUT {synthesized:.0f}, ratio {synthesized / da:.3f}")
    assert abs(synthesized - da) / da <= 0.10
