"""Per-layer trace of a converted design: every hls4ml layer's fixed-point output next to its Keras layer's.

For each hls4ml layer (matched to the Keras layer of the same name: hls4ml keeps the names when it turns a
Dense over constituents into a PointwiseConv1D, ``<name>_act`` activations and the input layer; a skipped
softmax has no hls4ml layer and is listed under ``keras_only``), on the first ``samples`` samples:

- ``max_abs_diff`` / ``mean_abs_diff``: Keras output vs the emulated fixed-point value;
- ``overflow``: fraction of the Keras values (what the layer should hold) outside the result type's range;
- ``underflow``: fraction of the nonzero Keras values smaller in magnitude than the result type's LSB;
- ``proposed``: the smallest ``ap_fixed<W,I>`` (``ap_ufixed`` for an unsigned type and no negative value)
  holding the observed Keras range at the current resolution (same fractional bits).

The emulated values come from the numpy emulator's intermediates (all samples, no g++), cross-checked on a
few samples against hls4ml's own tracing (``Trace: True`` on every layer, ``hls_model.trace``, compiled with
g++): per layer, the fraction of samples whose values agree bit for bit. A graph the numpy emulator does not
reproduce is traced with hls4ml alone (the reason is recorded). Runs in the isolated worker; plain record in,
plain dict out, no Optuna here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hls_workers.emulate import load_keras_model
from hls_workers.fixed_point import FixedType, PrecisionError, from_hls
from hls_workers.hls_config import build_hls_config
from hls_workers.profiling import type_range
from hls_workers.records import HardwareJob

#: Samples the numpy trace is cross-checked on against hls4ml's compiled tracing (g++, sample by sample).
CROSS_CHECK_SAMPLES = 20


@dataclass
class TraceJob:
    """What to trace: the trial's hardware job (model, samples, design), how many samples, the cross-check."""

    job: HardwareJob
    samples: int = 1000
    #: Samples to cross-check against hls4ml's tracing (0: no g++ compile, no cross-check).
    cross_check_samples: int = CROSS_CHECK_SAMPLES
    #: ``{layer: {precision key: type}}`` applied over the design's hls4ml config (e.g. a starved ``result``).
    precision_overrides: dict[str, dict[str, str]] = field(default_factory=dict)


def proposed_type(low: float, high: float, current: FixedType) -> str:
    """Smallest ``ap_fixed<W,I>`` (or ``ap_ufixed`` when ``current`` is unsigned and ``low >= 0``) with the
    fractional bits of ``current`` whose range holds ``[low, high]``."""
    frac = current.fractional
    lsb = 2.0 ** -frac
    signed = current.signed or low < 0
    # integer bits: the sign bit (signed) plus enough bits for the magnitude
    integer = 1 if signed else 0
    integer = max(integer, 1 - frac)  # at least one bit in all
    while True:
        if signed:
            top, bottom = 2.0 ** (integer - 1) - lsb, -(2.0 ** (integer - 1))
        else:
            top, bottom = 2.0 ** integer - lsb, 0.0
        if high <= top and low >= bottom:
            break
        integer += 1
    kind = "ap_fixed" if signed else "ap_ufixed"
    return f"{kind}<{integer + frac},{integer}>"


def layer_stats(keras: np.ndarray | None, emulated: np.ndarray, result_t: FixedType | None) -> dict[str, Any]:
    """Diffs, overflow / underflow fractions and the proposed type of one layer (plain floats)."""
    out: dict[str, Any] = {"max_abs_diff": None, "mean_abs_diff": None, "overflow": None, "underflow": None,
                           "keras_min": None, "keras_max": None, "proposed": None}
    if keras is None:
        return out
    keras = np.asarray(keras, dtype=np.float64).reshape(len(keras), -1)
    emulated = np.asarray(emulated, dtype=np.float64).reshape(len(emulated), -1)
    if keras.shape != emulated.shape or not keras.size:
        out["note"] = f"Keras output {keras.shape[1:]} vs hls4ml {emulated.shape[1:]}: not compared"
        return out
    diff = np.abs(keras - emulated)
    out.update(max_abs_diff=float(diff.max()), mean_abs_diff=float(diff.mean()),
               keras_min=float(keras.min()), keras_max=float(keras.max()))
    if result_t is not None:
        bounds = type_range(result_t)
        values = keras.ravel()
        nonzero = np.abs(values[values != 0])
        out["overflow"] = float(((values > bounds["type_max"]) | (values < bounds["type_min"])).mean())
        out["underflow"] = float((nonzero < bounds["lsb"]).sum() / nonzero.size) if nonzero.size else 0.0
        out["proposed"] = proposed_type(out["keras_min"], out["keras_max"], result_t)
    return out


def _convert(model: Any, trace_job: TraceJob, trace_all: bool):
    """The trial's hls4ml model (its own config derivation), with the overrides and ``Trace: True``."""
    import hls4ml

    job = trace_job.job
    config = build_hls_config(model, job)
    for name, precisions in trace_job.precision_overrides.items():
        entry = config["LayerName"].setdefault(name, {})
        if not isinstance(entry.get("Precision"), dict):
            entry["Precision"] = {"result": entry["Precision"]} if "Precision" in entry else {}
        entry["Precision"].update(precisions)
    if trace_all:
        for entry in config["LayerName"].values():
            entry["Trace"] = True
    settings = job.settings
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(Path(job.output_dir) / "hls4ml_prj"), backend=settings.backend,
        part=settings.part, clock_period=settings.clock_period_ns, io_type=settings.io_type)


@contextlib.contextmanager
def _stdout_to_stderr():
    """hls4ml and g++ print to stdout; keep the caller's stdout (``--json``) clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _hls4ml_trace(hls_model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """hls4ml's own per-layer outputs (g++ compile; double precision, exact for types up to 53 bits)."""
    with _stdout_to_stderr():
        _, traced = hls_model.trace(np.ascontiguousarray(x, dtype=np.float64))
    return {name: np.asarray(values, dtype=np.float64).reshape(len(x), -1) for name, values in traced.items()}


def _quantized_inputs(layers: list[Any], x: np.ndarray) -> dict[str, np.ndarray]:
    """The input layer's value as hls4ml holds it (its result type applied to ``x``)."""
    from hls_workers.numpy_emulator.fixed import from_float, to_float

    out = {}
    for layer in layers:
        if layer.class_name == "Input":
            t = _result_type(layer)
            if t is not None:
                out[layer.name] = to_float(from_float(np.asarray(x, dtype=np.float64), t), t)
    return out


def _result_type(layer: Any) -> FixedType | None:
    try:
        return from_hls(layer.get_output_variable().type.precision)
    except PrecisionError:
        return None


def run_trace(trace_job: TraceJob) -> dict[str, Any]:
    """Trace ``trace_job``: one record per hls4ml layer in data-flow order, the first overflowing layer, the
    cross-check. Values are plain (JSON-ready)."""
    from hls_workers.numpy_emulator import UnsupportedGraph, build_plan, emulate
    from hls_workers.profiling import keras_activations

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    job = trace_job.job
    model = load_keras_model(job.model_path)
    x = np.load(job.x_path)[: trace_job.samples].astype(np.float32)
    hls_model = _convert(model, trace_job, trace_all=trace_job.cross_check_samples > 0)
    layers = list(hls_model.get_layers())

    source, fallback_reason = "numpy", None
    emulated: dict[str, np.ndarray] = {}
    try:
        emulate(build_plan(hls_model), x, intermediates=emulated)
    except (UnsupportedGraph, ValueError) as exc:
        source, fallback_reason = "hls4ml", str(exc) or type(exc).__name__

    cross_check: dict[str, Any] = {"status": "skipped", "n": 0, "layers": {}}
    if source == "hls4ml":
        if trace_job.cross_check_samples <= 0:  # tracing needs Trace: True on the layers
            hls_model = _convert(model, trace_job, trace_all=True)
            layers = list(hls_model.get_layers())
        emulated = _hls4ml_trace(hls_model, x)
        emulated.update(_quantized_inputs(layers, x))  # hls4ml does not trace its input layer
        cross_check["reason"] = f"numpy emulator not used ({fallback_reason}); values traced with hls4ml"
    elif trace_job.cross_check_samples > 0:
        n = min(trace_job.cross_check_samples, len(x))
        try:
            traced = _hls4ml_trace(hls_model, x[:n])
        except Exception as exc:  # noqa: BLE001 - a failed compile is recorded, the numpy trace still stands
            lines = str(exc).strip().splitlines()
            cross_check = {"status": "failed", "n": n, "layers": {},
                           "reason": f"{type(exc).__name__}: {lines[0] if lines else ''}"}
        else:
            per_layer = {}
            for name, values in traced.items():
                if name in emulated:
                    mine = emulated[name][:n].reshape(n, -1)
                    per_layer[name] = float(np.all(mine == values, axis=1).mean()) if mine.shape == values.shape \
                        else 0.0
            cross_check = {"status": "done", "n": n, "layers": per_layer,
                           "bit_exact_fraction": min(per_layer.values()) if per_layer else None}

    keras_names = [layer.name for layer in model.layers]
    inputs = {layer.name for layer in model.layers if type(layer).__name__ == "InputLayer"}
    keras = keras_activations(model, x, [layer.name for layer in layers if layer.name not in inputs])
    records = []
    for layer in layers:
        result_t = _result_type(layer)
        reference = x if layer.name in inputs else keras.get(layer.name)
        row = {"layer": layer.name, "class": layer.class_name, "type": None if result_t is None else result_t.hls(),
               "keras_layer": layer.name if reference is not None else None}
        values = emulated.get(layer.name)
        if values is None:
            row.update(layer_stats(None, np.zeros(0), result_t))
            row["note"] = "no emulated output"
        else:
            row.update(layer_stats(reference, values, result_t))
        row["bit_exact"] = cross_check["layers"].get(layer.name)
        records.append(row)
    hls_names = {layer.name for layer in layers}
    first = next((r["layer"] for r in records if (r["overflow"] or 0) > 0), None)
    return {
        "n_samples": int(len(x)),
        "source": source,
        "fallback_reason": fallback_reason,
        "layers": records,
        "first_overflow": first,
        "keras_only": [name for name in keras_names if name not in hls_names],
        "cross_check": cross_check,
        "precision_overrides": trace_job.precision_overrides,
    }
