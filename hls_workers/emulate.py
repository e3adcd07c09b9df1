"""The hardware job: convert a saved (Q)Keras model with hls4ml and emulate it bit-accurately (numpy or g++).

Runs inside an isolated worker process (see :mod:`hls_workers.isolation`); g++ crashes or hangs there
cannot take the study down.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from hls_workers.hardware_cost import estimate_hardware
from hls_workers.hls_config import build_hls_config
from hls_workers.profiling import layer_profile
from hls_workers.records import HardwareJob, HardwareResult, HlsSettings

log = logging.getLogger(__name__)


def load_keras_model(path: str, architecture: str | None = None):
    """Load a saved Keras/QKeras model with the QKeras custom objects and this project's layers registered.

    With ``architecture`` (a ``model.to_json()`` file, hls4ml's ``KerasJson``), ``path`` holds the weights only.
    """
    from qkeras.utils import _add_supported_quantized_objects
    import tensorflow as tf

    from hls_workers.extensions import sum_pooling

    sum_pooling.register()
    custom_objects: dict = sum_pooling.custom_objects()
    _add_supported_quantized_objects(custom_objects)
    if architecture is None:
        return tf.keras.models.load_model(path, custom_objects=custom_objects, compile=False)
    model = tf.keras.models.model_from_json(Path(architecture).read_text(), custom_objects=custom_objects)
    model.load_weights(path)
    return model


def convert(model, job: HardwareJob):
    """hls4ml ModelGraph of ``model`` with the configuration derived from the job's design."""
    hls_config = build_hls_config(model, job)  # registers the custom layers before hls4ml parses the model
    return convert_with_config(model, hls_config, job.settings, str(Path(job.output_dir) / "hls4ml_prj")), hls_config


def convert_with_config(model, hls_config: dict, settings: HlsSettings, output_dir: str,
                        clock_uncertainty: str | None = None):
    """hls4ml ModelGraph of ``model`` with ``hls_config``: the one conversion call.

    ``hls_config`` comes from the design (:func:`convert`) or from a user's hls4ml config
    (:func:`hls_workers.user_config.merge_with_defaults`, ``sweep estimate --hls-config``).
    ``clock_uncertainty`` (e.g. ``"27%"``) is passed on when given, else hls4ml's backend default applies.
    """
    import hls4ml

    from hls_workers.extensions import sum_pooling

    sum_pooling.register()
    extra = {} if clock_uncertainty is None else {"clock_uncertainty": clock_uncertainty}
    return hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=hls_config,
        output_dir=output_dir,
        backend=settings.backend,
        part=settings.part,
        clock_period=settings.clock_period_ns,
        io_type=settings.io_type,
        **extra,
    )


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
    # Direct calls in large chunks: ``predict`` costs a tf.function trace per call (~0.3 s here).
    chunks = [np.asarray(model(x[i:i + 16384], training=False), dtype=np.float64) for i in range(0, len(x), 16384)]
    return np.concatenate(chunks).reshape(len(x), -1) if chunks else np.zeros((0, 0))


def run_hardware_job(job: HardwareJob) -> HardwareResult:
    """Convert, then emulate bit-accurately (numpy, or hls4ml's compiled C++); writes the outputs.

    With ``job.emulator == "numpy"`` the project is still written (an artifact) but not compiled; a graph
    the numpy emulator does not reproduce falls back to compile + predict, with the reason recorded.
    ``job.cross_check`` also runs hls4ml and records the agreement.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL"):
        os.environ.setdefault(var, "1" if var != "TF_CPP_MIN_LOG_LEVEL" else "2")
    timings: dict[str, float] = {"compile_s": 0.0, "predict_s": 0.0, "numpy_emulate_s": 0.0}
    start = time.perf_counter()
    model = load_keras_model(job.model_path)
    hls_model, hls_config = convert(model, job)
    timings["convert_s"] = time.perf_counter() - start

    start = time.perf_counter()
    resources = estimate_hardware(hls_model, job)
    timings["estimate_s"] = time.perf_counter() - start

    x = np.ascontiguousarray(np.load(job.x_path).astype(np.float32))
    start = time.perf_counter()
    y_keras_path = str(Path(job.output_dir) / "y_keras.npy")
    np.save(y_keras_path, keras_reference(model, x, job.logits_layer))
    timings["keras_s"] = time.perf_counter() - start
    start = time.perf_counter()
    profile = layer_profile(hls_model, model, x)
    timings["profile_s"] = time.perf_counter() - start

    y_numpy, fallback_reason = None, None
    if job.emulator == "numpy":
        start = time.perf_counter()
        hls_model.write()
        timings["write_s"] = time.perf_counter() - start
        start = time.perf_counter()
        y_numpy, fallback_reason = numpy_predict(hls_model, x)
        timings["numpy_emulate_s"] = time.perf_counter() - start
        if fallback_reason is not None:
            log.warning("numpy emulator not used, falling back to hls4ml compile+predict: %s", fallback_reason)

    y_hls = None
    if y_numpy is None or job.cross_check:
        y_hls = hls4ml_predict(hls_model, x, timings)

    cross_check = None
    if job.cross_check and y_numpy is not None and y_hls is not None:
        cross_check = agreement(y_numpy, y_hls)
        if cross_check["bit_exact_fraction"] < 1.0:
            log.warning("numpy emulator disagrees with hls4ml: %s", cross_check)
    y = y_numpy if y_numpy is not None else y_hls
    assert y is not None
    y_path = str(Path(job.output_dir) / "y_hls.npy")
    np.save(y_path, y)
    return HardwareResult(
        y_path=y_path,
        y_keras_path=y_keras_path,
        project_dir=str(Path(job.output_dir) / "hls4ml_prj"),
        hls_config=_jsonable(hls_config),
        layer_precisions=layer_precisions(hls_model),
        timings=timings,
        resources=resources,
        emulator_used="numpy" if y_numpy is not None else "hls4ml",
        fallback_reason=fallback_reason,
        cross_check=cross_check,
        profile=profile,
    )


def numpy_predict(hls_model, x: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """(outputs, None) from the numpy emulator, or (None, reason) when it cannot reproduce this graph."""
    from hls_workers.numpy_emulator import UnsupportedGraph, build_plan, emulate

    try:
        plan = build_plan(hls_model)
        return np.asarray(emulate(plan, x), dtype=np.float64).reshape(len(x), -1), None
    except (UnsupportedGraph, ValueError) as exc:
        return None, str(exc) or type(exc).__name__


def hls4ml_predict(hls_model, x: np.ndarray, timings: dict[str, float]) -> np.ndarray:
    """hls4ml's own emulator: g++ compile, then ``predict`` sample by sample (adds compile_s, predict_s)."""
    start = time.perf_counter()
    hls_model.compile()
    timings["compile_s"] = time.perf_counter() - start
    start = time.perf_counter()
    y = np.asarray(hls_model.predict(x), dtype=np.float64).reshape(len(x), -1)
    timings["predict_s"] = time.perf_counter() - start
    return y


def agreement(y_numpy: np.ndarray, y_hls: np.ndarray) -> dict:
    """Per-sample bit-exactness of two emulations of the same samples."""
    same = np.all(y_numpy == y_hls, axis=1)
    diff = np.abs(y_numpy - y_hls)
    return {
        "bit_exact_fraction": float(same.mean()) if len(same) else 1.0,
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "n": int(len(same)),
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
