"""The hardware job: convert a saved (Q)Keras model with hls4ml, compile it and emulate it bit-accurately.

Runs inside an isolated worker process (see :mod:`hls_workers.isolation`); g++ crashes or hangs there
cannot take the study down.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from hls_workers.hls_config import build_hls_config
from hls_workers.records import HardwareJob, HardwareResult


def load_keras_model(path: str):
    """Load a saved Keras/QKeras model with the QKeras custom objects registered."""
    from qkeras.utils import _add_supported_quantized_objects
    import tensorflow as tf

    custom_objects: dict = {}
    _add_supported_quantized_objects(custom_objects)
    return tf.keras.models.load_model(path, custom_objects=custom_objects, compile=False)


def convert(model, job: HardwareJob):
    """hls4ml ModelGraph of ``model`` with the configuration derived from the job's design."""
    import hls4ml

    settings = job.settings
    hls_config = build_hls_config(model, job)
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=hls_config,
        output_dir=str(Path(job.output_dir) / "hls4ml_prj"),
        backend=settings.backend,
        part=settings.part,
        clock_period=settings.clock_period_ns,
        io_type=settings.io_type,
    )
    return hls_model, hls_config


def layer_precisions(hls_model) -> dict[str, dict[str, str]]:
    """Every variable type of every hls4ml layer, as strings (recorded on the trial)."""
    out: dict[str, dict[str, str]] = {}
    for layer in hls_model.get_layers():
        out[layer.name] = {key: str(value.precision) for key, value in layer.types.items()}
    return out


def keras_reference(model, x: np.ndarray, logits_layer: str | None) -> np.ndarray:
    """Keras outputs to compare the emulation with (pre-softmax logits when hls4ml skips the softmax)."""
    import tensorflow as tf

    if logits_layer is not None:
        model = tf.keras.Model(model.inputs, model.get_layer(logits_layer).output)
    return np.asarray(model.predict(x, batch_size=4096, verbose=0), dtype=np.float64).reshape(len(x), -1)


def run_hardware_job(job: HardwareJob) -> HardwareResult:
    """Convert, compile (g++) and predict; writes the emulated outputs next to the project."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL"):
        os.environ.setdefault(var, "1" if var != "TF_CPP_MIN_LOG_LEVEL" else "2")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    model = load_keras_model(job.model_path)
    hls_model, hls_config = convert(model, job)
    timings["convert_s"] = time.perf_counter() - start

    start = time.perf_counter()
    hls_model.compile()
    timings["compile_s"] = time.perf_counter() - start

    x = np.ascontiguousarray(np.load(job.x_path).astype(np.float32))
    y_keras_path = str(Path(job.output_dir) / "y_keras.npy")
    np.save(y_keras_path, keras_reference(model, x, job.logits_layer))

    start = time.perf_counter()
    y = np.asarray(hls_model.predict(x), dtype=np.float64).reshape(len(x), -1)
    timings["predict_s"] = time.perf_counter() - start

    y_path = str(Path(job.output_dir) / "y_hls.npy")
    np.save(y_path, y)
    return HardwareResult(
        y_path=y_path,
        y_keras_path=y_keras_path,
        project_dir=str(Path(job.output_dir) / "hls4ml_prj"),
        hls_config=_jsonable(hls_config),
        layer_precisions=layer_precisions(hls_model),
        timings=timings,
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
