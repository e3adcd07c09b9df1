"""Shared fixtures: one generated quickstart data set per test session, one cache folder, one small saved MLP
and the hls4ml project hls4ml writes for it (``sweep estimate --hls-config/--hls-project`` tests)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# da4ml's solver is numba code. Compiling it costs about 140 s on first use in a fresh venv (every CI run),
# and the tests' matrices are tiny: run the same Python source uncompiled (about 15 s for all da4ml tests).
# The compiled path is checked by the slow test_da4ml.py::test_compiled_solver_gives_the_same_cost.
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")


@pytest.fixture(scope="session")
def quickstart_dir() -> Path:
    """The built-in quickstart jets (generated once into the cache, reused afterwards)."""
    from sweep.data.builtin import resolve_builtin

    return resolve_builtin("quickstart", progress=False)


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Path:
    """8-16-8-4 float MLP (fc1, relu1, fc2, relu2, output, softmax) with seeded Laplace weights, saved as .h5."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    inp = tf.keras.Input((8,), name="input_1")
    x = tf.keras.layers.Activation("relu", name="relu1")(tf.keras.layers.Dense(16, name="fc1")(inp))
    x = tf.keras.layers.Activation("relu", name="relu2")(tf.keras.layers.Dense(8, name="fc2")(x))
    x = tf.keras.layers.Activation("softmax", name="softmax")(tf.keras.layers.Dense(4, name="output")(x))
    model = tf.keras.Model(inp, x)
    for name in ("fc1", "fc2", "output"):
        kernel, bias = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([rng.laplace(0, 0.3, kernel.shape).astype("f4"),
                                           rng.laplace(0, 0.05, bias.shape).astype("f4")])
    path = tmp_path_factory.mktemp("small") / "small.h5"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def project(small, tmp_path_factory) -> Path:
    """An hls4ml project written by hls4ml itself (Vivado, xcu250, 4 ns), from a relative OutputDir."""
    import hls4ml

    from hls_workers.emulate import load_keras_model

    model = load_keras_model(str(small))
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado",
                                                  default_precision="ap_fixed<16,6>")
    config["LayerName"]["fc2"]["ReuseFactor"] = 2
    root = tmp_path_factory.mktemp("written")
    cwd = os.getcwd()
    os.chdir(root)  # hls4ml records KerasModel relative to where it ran: the project must still be found
    try:
        hls_model = hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir="prj", backend="Vivado", part="xcu250-figd2104-2L-e",
            clock_period=4, io_type="io_parallel")
        hls_model.write()
    finally:
        os.chdir(cwd)
    return root / "prj"
