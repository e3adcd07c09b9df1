"""``estimate:pretrain``: cost of a design before training, from its shapes, bits and target sparsity.

No weights exist yet, so every nonzero weight is a full-width product and the target sparsity is spread
evenly over the outputs. Pure Python + numpy (no TensorFlow, no hls4ml): microseconds per design, meant
for rejecting designs that cannot meet a study's constraints before they are trained.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hls_workers.estimate.base import Estimator, ResourceEstimate, register_estimator, setting
from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import LayerSpec, for_backend, network_cost
from hls_workers.parts import lookup_part

SOURCE = "estimate:pretrain"


def _per_layer(value: Any, n: int, what: str) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [value] * n
    if len(value) != n:
        raise ValueError(f"{what}: {len(value)} values for {n} dense layers")
    return list(value)


def _bits_pair(value: Any) -> tuple[int, int]:
    """(weight bits, activation bits) from an int, a pair or a LayerQuant-like object."""
    if hasattr(value, "weight_bits"):
        return int(value.weight_bits), int(getattr(value, "act_bits", value.weight_bits))
    if isinstance(value, Sequence):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def estimate_design(
    layer_shapes: Sequence[Any],
    bits: Any,
    sparsity: float | Sequence[float] = 0.0,
    reuse_factor: int = 1,
    strategy: str = "latency",
    part: str = "xcvu13p-flga2577-2-e",
    clock: float = 5.0,
    *,
    input_bits: int = 16,
    softmax: bool = False,
    backend: str = "vitis",
) -> ResourceEstimate:
    """Pre-training estimate of a dense network (MLP or DeepSets) in hls4ml io_parallel.

    ``layer_shapes``: in data-flow order, ``(n_in, n_out)`` or ``(n_in, n_out, repeats)`` per dense layer
    (``repeats`` = constituents for a DeepSets phi layer), and ``{"pool": "mean"|"max", "items": n,
    "features": f}`` for a global pooling. ``bits``: an int or a ``(weight_bits, act_bits)`` tuple for every
    layer, or a list with, per dense layer, an int, a pair or a :class:`~hls_workers.records.LayerQuant`. ``sparsity``: target
    fraction of zero weights (one value or per dense layer). ``input_bits``: width of the model input.
    ``backend``: hls4ml backend (``vitis`` or ``vivado``): its default clock uncertainty and LUT scale.
    """
    strategy = strategy.lower()
    if strategy not in ("latency", "resource"):
        raise ValueError(f"strategy must be 'latency' or 'resource', not {strategy!r}")
    if reuse_factor < 1:
        raise ValueError("reuse_factor must be >= 1")
    dense = [s for s in layer_shapes if not isinstance(s, Mapping)]
    one_pair = isinstance(bits, tuple) and len(bits) == 2 and all(isinstance(b, int) for b in bits)
    bit_pairs = [_bits_pair(b) for b in _per_layer(bits if not one_pair else [bits] * len(dense), len(dense), "bits")]
    sparsities = [float(s) for s in _per_layer(sparsity, len(dense), "sparsity")]
    if any(not 0.0 <= s < 1.0 for s in sparsities):
        raise ValueError("sparsity must be in [0, 1)")

    specs: list[LayerSpec] = []
    width_in = input_bits
    index = 0
    for entry in layer_shapes:
        if isinstance(entry, Mapping):
            items, features = int(entry["items"]), int(entry["features"])
            kind = "pool_max" if str(entry.get("pool", "mean")).lower().startswith("max") else "pool_avg"
            grow = math.ceil(math.log2(max(items, 2)))
            specs.append(LayerSpec(f"pool_{len(specs)}", kind, items * features, features, input_bits=width_in,
                                   accum_bits=width_in + 2 * grow, result_bits=width_in + grow, pool_items=items))
            width_in = width_in + grow if kind == "pool_avg" else width_in
            continue
        n_in, n_out, *rest = (int(v) for v in entry)
        repeats = rest[0] if rest else 1
        w_bits, a_bits = bit_pairs[index]
        resource = strategy == "resource" and reuse_factor > 1
        specs.append(LayerSpec(
            name=f"dense_{index}", kind="dense", n_in=n_in, n_out=n_out, input_bits=width_in,
            weight_bits=w_bits, accum_bits=width_in + w_bits + math.ceil(math.log2(max(n_in, 2))),
            result_bits=a_bits, reuse_factor=reuse_factor, strategy=strategy,
            repeats=1 if resource else repeats, passes=repeats if resource else 1, sparsity=sparsities[index],
        ))
        last = index == len(dense) - 1
        if not last:
            specs.append(LayerSpec(f"relu_{index}", "relu", n_out, n_out, input_bits=a_bits, result_bits=a_bits,
                                   repeats=repeats))
        width_in = a_bits
        index += 1
    if softmax and dense:
        n = int(dense[-1][1])
        specs.append(LayerSpec("softmax", "softmax", n, n, input_bits=width_in))
    family = lookup_part(part).family
    notes = ["pre-training: full-width products, target sparsity spread evenly"]
    return network_cost(specs, for_backend(load_coefficients(family), backend), float(clock), SOURCE, notes)


@register_estimator(SOURCE)
class PretrainEstimator(Estimator):
    """Registry face of :func:`estimate_design`: ``estimate(design_kwargs)`` with a dict of its arguments."""

    name = SOURCE

    def estimate(self, hls_model_or_design: Any, settings: Any = None) -> ResourceEstimate:
        design = dict(hls_model_or_design)
        if settings is not None:
            design.setdefault("part", setting(settings, "part") or "xcvu13p-flga2577-2-e")
            design.setdefault("clock", setting(settings, "clock_period_ns") or 5.0)
            if setting(settings, "backend"):
                design.setdefault("backend", str(setting(settings, "backend")).lower())
        return estimate_design(**design)
