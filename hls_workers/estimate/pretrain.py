"""``estimate:pretrain``: cost of a design before training, from its shapes, bits and target sparsity.

No weights exist yet, so every nonzero weight is a full-width product and the target sparsity is spread
evenly over the outputs. The model itself is :func:`hls_workers.network_cost.pretrain_estimate` over a
:class:`~hls_workers.records.NetworkRecord`; :func:`estimate_design` takes plain layer shapes for callers
without one (benchmarks, quick what-ifs). Pure Python + numpy (no TensorFlow, no hls4ml).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hls_workers.estimate.base import Estimator, ResourceEstimate, register_estimator, setting
from hls_workers.records import DenseRecord, LayerQuant, NetworkRecord, PoolRecord

SOURCE = "estimate:pretrain"


def _per_layer(value: Any, n: int, what: str) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [value] * n
    if len(value) != n:
        raise ValueError(f"{what}: {len(value)} values for {n} dense layers")
    return list(value)


def _quant(value: Any) -> LayerQuant:
    """A LayerQuant from an int (weights = activations), a (weight, activation) pair or a LayerQuant."""
    if isinstance(value, LayerQuant):
        return value
    if hasattr(value, "weight_bits"):
        return LayerQuant(int(value.weight_bits), 0, int(getattr(value, "act_bits", value.weight_bits)), 0)
    if isinstance(value, Sequence):
        return LayerQuant(int(value[0]), 0, int(value[1]), 0)
    return LayerQuant(int(value), 0, int(value), 0)


def network_from_shapes(layer_shapes: Sequence[Any], bits: Any, softmax: bool = False) -> NetworkRecord:
    """A :class:`NetworkRecord` from ``(n_in, n_out[, repeats])`` tuples and ``{"pool", "items", "features"}``."""
    dense = [s for s in layer_shapes if not isinstance(s, Mapping)]
    one_pair = isinstance(bits, tuple) and len(bits) == 2 and all(isinstance(b, int) for b in bits)
    quants = [_quant(b) for b in _per_layer(bits if not one_pair else [bits] * len(dense), len(dense), "bits")]
    layers: list[Any] = []
    index = 0
    for entry in layer_shapes:
        if isinstance(entry, Mapping):
            kind = str(entry.get("pool", "mean")).lower()
            op = "max" if kind.startswith("max") else ("sum" if kind == "sum" else "mean")
            layers.append(PoolRecord(f"pool_{len(layers)}", op, int(entry["items"]), int(entry["features"])))
            continue
        n_in, n_out, *rest = (int(v) for v in entry)
        last = index == len(dense) - 1
        layers.append(DenseRecord(f"dense_{index}", n_in, n_out, quants[index], relu=not last,
                                  repeats=rest[0] if rest else 1))
        index += 1
    return NetworkRecord(tuple(layers), softmax=softmax)


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
    (``repeats`` = constituents for a DeepSets phi layer), and ``{"pool": "mean"|"max"|"sum", "items": n,
    "features": f}`` for a global pooling. ``bits``: an int or a ``(weight_bits, act_bits)`` tuple for every
    layer, or a list with, per dense layer, an int, a pair or a :class:`~hls_workers.records.LayerQuant`.
    ``sparsity``: target fraction of zero weights (one value or per dense layer). ``input_bits``: width of
    the model input. ``backend``: hls4ml backend (``vitis`` or ``vivado``): its clock uncertainty and LUT scale.
    """
    from hls_workers.fixed_point import FixedType
    from hls_workers.network_cost import pretrain_estimate

    if strategy.lower() not in ("latency", "resource"):
        raise ValueError(f"strategy must be 'latency' or 'resource', not {strategy!r}")
    network = network_from_shapes(layer_shapes, bits, softmax)
    names = [layer.name for layer in network.dense]
    per_layer = dict(zip(names, (float(s) for s in _per_layer(sparsity, len(names), "sparsity"))))
    return pretrain_estimate(network, FixedType(input_bits, min(input_bits, 6)), per_layer, reuse_factor,
                             strategy.lower(), part, clock, backend, softmax)


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
