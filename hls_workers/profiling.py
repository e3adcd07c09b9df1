"""Per-layer numeric profile of a converted design: value ranges next to the fixed-point types chosen for them.

For every hls4ml layer: its weights' min / max / smallest nonzero magnitude and, from the Keras model on the
emulated samples, its output's min / max / percentiles — each beside the representable range ``[min, max]``
and LSB of the configured type, with the fraction of values over the range or under the LSB. Plain data
(drawn on the sweep side); numpy only, no plotting here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hls_workers.fixed_point import FixedType, PrecisionError, from_hls

#: Activation percentiles recorded per layer.
PERCENTILES = (0.1, 1.0, 50.0, 99.0, 99.9)
#: Samples the activations are profiled on (the first ones of the emulated set).
MAX_PROFILE_SAMPLES = 5000


def type_range(fixed: FixedType) -> dict[str, float]:
    """Representable ``type_min`` / ``type_max`` and the ``lsb`` of a fixed-point type."""
    lsb = 2.0 ** -(fixed.width - fixed.integer)
    if fixed.signed:
        low, high = -(2.0 ** (fixed.integer - 1)), 2.0 ** (fixed.integer - 1) - lsb
    else:
        low, high = 0.0, 2.0 ** fixed.integer - lsb
    return {"type_min": low, "type_max": high, "lsb": lsb}


def value_stats(values: np.ndarray, precision: Any, percentiles: bool = False) -> dict[str, Any]:
    """Range of ``values`` beside the type ``precision`` (an hls4ml precision object), as plain floats."""
    values = np.asarray(values, dtype=np.float64).ravel()
    nonzero = np.abs(values[values != 0])
    out: dict[str, Any] = {
        "n": int(values.size),
        "min": float(values.min()) if values.size else 0.0,
        "max": float(values.max()) if values.size else 0.0,
        "min_abs_nonzero": float(nonzero.min()) if nonzero.size else None,
        "type": str(precision),
    }
    if percentiles and values.size:
        out["percentiles"] = {f"p{p:g}": float(v) for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES))}
    try:
        bounds = type_range(from_hls(precision))
    except PrecisionError:
        return out  # not plain fixed point: no range to draw against
    out.update(bounds)
    if values.size:
        over = (values > bounds["type_max"]) | (values < bounds["type_min"])
        out["overflow_fraction"] = float(over.mean())
        out["below_lsb_fraction"] = float((nonzero < bounds["lsb"]).sum() / max(nonzero.size, 1))
    return out


def keras_activations(model: Any, x: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Outputs of the Keras layers called ``names`` (those that exist) on ``x``."""
    import tensorflow as tf

    present = {layer.name for layer in model.layers}
    names = [n for n in names if n in present]
    if not names:
        return {}
    probe = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outputs = probe(x, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {name: np.asarray(value) for name, value in zip(names, outputs)}


def layer_profile(hls_model: Any, keras_model: Any, x: np.ndarray) -> list[dict[str, Any]]:
    """One record per hls4ml layer, in data-flow order: ``layer``, ``class``, ``weights`` (one entry per
    weight variable) and ``activation`` (the layer output, ``None`` without a Keras counterpart)."""
    layers = list(hls_model.get_layers())
    x = x[:MAX_PROFILE_SAMPLES]
    inputs = {layer.name for layer in keras_model.layers if type(layer).__name__ == "InputLayer"}
    activations = keras_activations(keras_model, x, [layer.name for layer in layers if layer.name not in inputs])
    records = []
    for layer in layers:
        weights = [{"name": key, **value_stats(var.data, var.type.precision)}
                   for key, var in getattr(layer, "weights", {}).items() if getattr(var, "data", None) is not None]
        values = x if layer.name in inputs else activations.get(layer.name)
        output = layer.get_output_variable()
        records.append({
            "layer": layer.name,
            "class": layer.class_name,
            "weights": weights,
            "activation": None if values is None else value_stats(values, output.type.precision, percentiles=True),
        })
    return records
