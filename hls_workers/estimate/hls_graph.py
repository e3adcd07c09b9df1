"""Read a converted hls4ml ModelGraph into cost-model layer specs (weights, precisions, reuse, strategy)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hls_workers.estimate.cost_model import LayerSpec
from hls_workers.estimate.dead_logic import mark_dead_logic
from hls_workers.fixed_point import FixedType, PrecisionError, from_hls

_DENSE = {"Dense"}
_POINTWISE = {"PointwiseConv1D", "Conv1D"}
_POOL = {"GlobalPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalSumPooling1D"}
_SKIPPED = {"Input", "InputLayer", "Reshape", "Flatten", "Transpose"}


def _precision(layer: Any, key: str) -> FixedType | None:
    """The layer's ``key`` type (``weight_t``, ``accum_t``, …) as a FixedType; None when absent or not fixed point."""
    types = getattr(layer, "types", {}) or {}
    named = types.get(key)
    if named is None:
        return None
    try:
        return from_hls(named.precision)
    except PrecisionError:
        return None


def _width(precision: FixedType | None, default: int = 16) -> int:
    """Width of a type; ``default`` for a type hls4ml left unset or that is not fixed point."""
    return precision.width if precision is not None else default


def _rounds_or_saturates(precision: FixedType | None) -> bool:
    """True when a cast into ``precision`` rounds or saturates (extra logic per element)."""
    if precision is None:
        return False
    return precision.rounding != "TRN" or precision.overflow != "WRAP"


def weight_codes(data: np.ndarray, precision: FixedType) -> np.ndarray:
    """Weights as raw integers on the grid of ``precision``, converted exactly as ``ap_fixed`` does."""
    from hls_workers.numpy_emulator.fixed import from_float

    return from_float(np.asarray(data, dtype=np.float64), precision)


def _as_matrix(layer: Any, data: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    """Kernel as (n_in, n_out) whatever hls4ml did to it (the Resource strategy transposes)."""
    if layer.get_attr("_weights_transposed", False):
        return data.reshape(n_out, -1).T.reshape(n_in, n_out)
    return data.reshape(n_in, n_out)


def _strategy(layer: Any) -> str:
    strategy = str(layer.get_attr("strategy", "latency") or "latency").lower()
    return "resource" if strategy == "resource" else ("latency" if strategy == "latency" else strategy)


def _input_bits(layer: Any) -> int:
    var = layer.get_input_variable()
    try:
        return from_hls(var.type.precision).width
    except (AttributeError, PrecisionError):
        return 16


def _dense_spec(layer: Any, n_in: int, n_out: int, repeats: int, passes: int) -> LayerSpec:
    weight_t = _precision(layer, "weight_t")
    if weight_t is None:
        raise ValueError(f"{layer.name}: weight type is not fixed point")
    data = layer.attributes["weight"].data
    codes = _as_matrix(layer, weight_codes(data, weight_t), n_in, n_out)
    bias = layer.attributes.get("bias")
    has_bias = bias is not None and bool(np.any(np.asarray(bias.data) != 0))
    return LayerSpec(
        name=layer.name, kind="dense", n_in=n_in, n_out=n_out, input_bits=_input_bits(layer),
        weight_bits=_width(weight_t), accum_bits=_width(_precision(layer, "accum_t"), 0),
        result_bits=_width(_precision(layer, "result_t")), reuse_factor=int(layer.get_attr("reuse_factor", 1) or 1),
        strategy=_strategy(layer), repeats=repeats, passes=passes, codes=codes, has_bias=has_bias,
    )


def _activation_spec(layer: Any) -> LayerSpec:
    act = str(layer.get_attr("activation", "relu")).lower()
    kind = "relu" if act == "relu" else ("passthrough" if act == "linear" else "activation")
    n = int(layer.get_attr("n_in") or math.prod(layer.get_output_variable().shape))
    result_t = _precision(layer, "result_t")
    table_t = _precision(layer, "table_t") if kind == "activation" else None
    return LayerSpec(name=layer.name, kind=kind, n_in=n, n_out=n, input_bits=_input_bits(layer),
                     result_bits=_width(result_t), rounds_or_saturates=_rounds_or_saturates(result_t),
                     table_size=int(layer.get_attr("table_size", 0) or 0) if table_t else 0,
                     table_bits=_width(table_t, 0))


def _pool_spec(layer: Any) -> LayerSpec:
    items = int(layer.get_attr("n_in", 1))
    op = str(layer.get_attr("pool_op", "Average")).lower()
    kind = "pool_max" if op.startswith("max") else ("pool_sum" if op == "sum" else "pool_avg")
    return LayerSpec(name=layer.name, kind=kind, n_in=items * int(layer.get_attr("n_filt", 1)),
                     n_out=int(layer.get_attr("n_filt", 1)), input_bits=_input_bits(layer),
                     accum_bits=_width(_precision(layer, "accum_t"), 0),
                     result_bits=_width(_precision(layer, "result_t")), pool_items=items)


def _spec_of(layer: Any, notes: list[str]) -> LayerSpec | None:
    """The spec of one hls4ml layer, or None (with a note) for one that costs nothing or is not modelled."""
    cls = layer.class_name
    if cls in _DENSE:
        return _dense_spec(layer, int(layer.get_attr("n_in")), int(layer.get_attr("n_out")), 1, 1)
    if cls in _POINTWISE and int(layer.get_attr("filt_width", 1)) == 1:
        width = int(layer.get_attr("out_width", 1))
        resource = _strategy(layer) == "resource" and int(layer.get_attr("reuse_factor", 1) or 1) > 1
        repeats, passes = (1, width) if resource else (width, 1)
        return _dense_spec(layer, int(layer.get_attr("n_chan")), int(layer.get_attr("n_filt")), repeats, passes)
    if cls in _POOL:
        return _pool_spec(layer)
    if cls == "Softmax" or (cls == "Activation" and str(layer.get_attr("activation")).lower() == "softmax"):
        if layer.get_attr("skip", False):
            notes.append(f"{layer.name}: softmax skipped (no hardware)")
            return None
        return LayerSpec(name=layer.name, kind="softmax", n_in=int(layer.get_attr("n_in")),
                         n_out=int(layer.get_attr("n_in")), input_bits=_input_bits(layer))
    if cls in ("Activation", "ReLU"):
        return _activation_spec(layer)
    notes.append(f"{layer.name}: {cls} is not modelled (counted as free)")
    return None


def layer_specs(hls_model: Any) -> tuple[list[LayerSpec], list[str]]:
    """Specs of every layer that costs hardware (with the tensors each reads and writes), and notes on
    anything approximated or ignored."""
    specs: list[LayerSpec] = []
    notes: list[str] = []
    alias: dict[str, str] = {}  # output of a skipped reshaping layer -> the tensor it reshapes
    external: set[str] = set()  # tensors read by layers that are not specs
    for layer in hls_model.get_layers():
        cls = layer.class_name
        inputs = tuple(alias.get(name, name) for name in (getattr(layer, "inputs", None) or []))
        outputs = list(getattr(layer, "outputs", None) or [])
        if cls in _SKIPPED:
            if cls not in ("Input", "InputLayer") and len(inputs) == 1 and outputs:
                alias[outputs[0]] = inputs[0]
            continue
        spec = _spec_of(layer, notes)
        if spec is None:
            external.update(inputs)
            continue
        spec.inputs, spec.output = inputs, outputs[0] if outputs else ""
        specs.append(spec)
    external.update(alias.get(name, name) for name in (getattr(hls_model, "outputs", None) or []))
    notes.extend(mark_dead_logic(specs, external))
    return specs, notes
