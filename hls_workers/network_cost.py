"""What the hardware side derives from a design before any hls4ml conversion: BOPs and the pre-training
estimate, both read off the family's :class:`~hls_workers.records.NetworkRecord`.

Pure Python + numpy: microseconds per design. Widths follow :mod:`hls_workers.widths`, the same rules the
hls4ml configuration of the trained model uses, so the pre-training estimate sizes the layers hls4ml builds.
"""

from __future__ import annotations

from collections.abc import Mapping

from hls_workers.bops import DenseCost, total_bops
from hls_workers.cost_metrics import cost_metrics
from hls_workers.estimate.base import ResourceEstimate
from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import POOL_KINDS, LayerSpec, for_backend, network_cost
from hls_workers.fixed_point import FixedType
from hls_workers.parts import coefficient_family, lookup_part
from hls_workers.records import DenseRecord, HlsSettings, NetworkRecord, PoolRecord
from hls_workers.strategy import cost_model_strategy, uses_dsp
from hls_workers.widths import activation_type, adder_bits, pool_types

PRETRAIN_SOURCE = "estimate:pretrain"


def _walk(network: NetworkRecord, input_type: FixedType):
    """(layer, type of its input) in data-flow order: a ReLU's type after a Dense, the pool's result after a pool."""
    current = input_type
    for layer in network.layers:
        yield layer, current
        if isinstance(layer, DenseRecord):
            current = activation_type(layer.quant) if layer.relu else current
        else:
            current = pool_types(layer.op, current, layer.items)[1]


def network_bops(network: NetworkRecord, input_type: FixedType,
                 nonzero_weights: Mapping[str, int] | None = None) -> int:
    """BOPs of the network (docs/metrics.md); ``nonzero_weights`` per Dense layer (trained, pruned), else all."""
    costs = []
    for layer, x_type in _walk(network, input_type):
        if isinstance(layer, DenseRecord):
            nonzero = (nonzero_weights or {}).get(layer.name, layer.n_in * layer.n_out)
            costs.append(DenseCost(layer.name, layer.n_in, layer.n_out, int(nonzero), x_type.width,
                                   layer.quant.weight_bits, layer.repeats))
    return total_bops(costs)


def pretrain_specs(network: NetworkRecord, input_type: FixedType, sparsity: float | Mapping[str, float] = 0.0,
                   reuse_factor: int = 1, strategy: str = "latency", softmax: bool = False) -> list[LayerSpec]:
    """Cost-model specs of the network before training: full-width products, target sparsity spread evenly."""
    model_strategy = cost_model_strategy(strategy)
    if reuse_factor < 1:
        raise ValueError("reuse_factor must be >= 1")
    specs: list[LayerSpec] = []
    dense = network.dense
    for layer, x_type in _walk(network, input_type):
        if isinstance(layer, PoolRecord):
            accum, result = pool_types(layer.op, x_type, layer.items)
            specs.append(LayerSpec(layer.name, POOL_KINDS[layer.op],
                                   layer.items * layer.features, layer.features, input_bits=x_type.width,
                                   accum_bits=accum.width, result_bits=result.width, pool_items=layer.items))
            continue
        layer_sparsity = float(sparsity.get(layer.name, 0.0) if isinstance(sparsity, Mapping) else sparsity)
        if not 0.0 <= layer_sparsity < 1.0:
            raise ValueError("sparsity must be in [0, 1)")
        resource = model_strategy == "resource" and reuse_factor > 1
        specs.append(LayerSpec(
            name=layer.name, kind="dense", n_in=layer.n_in, n_out=layer.n_out, input_bits=x_type.width,
            weight_bits=layer.quant.weight_bits,
            accum_bits=adder_bits(x_type.width, layer.quant.weight_bits, layer.n_in),
            result_bits=layer.quant.act_bits, reuse_factor=reuse_factor, strategy=model_strategy,
            repeats=1 if resource else layer.repeats, passes=layer.repeats if resource else 1,
            sparsity=layer_sparsity,
        ))
        if layer.relu and layer is not dense[-1]:
            act = layer.quant.act_bits
            specs.append(LayerSpec(f"{layer.name}_act", "relu", layer.n_out, layer.n_out, input_bits=act,
                                   result_bits=act, repeats=layer.repeats))
    if softmax and dense:
        n = dense[-1].n_out
        specs.append(LayerSpec("softmax", "softmax", n, n, input_bits=dense[-1].quant.act_bits))
    return specs


def pretrain_estimate(network: NetworkRecord, input_type: FixedType, sparsity: float | Mapping[str, float] = 0.0,
                      reuse_factor: int = 1, strategy: str = "latency", part: str = "xcvu13p-flga2577-2-e",
                      clock: float = 5.0, backend: str = "vitis", softmax: bool = False) -> ResourceEstimate:
    """``estimate:pretrain`` of a network on ``part`` at ``clock`` ns for an hls4ml ``backend``."""
    specs = pretrain_specs(network, input_type, sparsity, reuse_factor, strategy, softmax)
    notes = ["pre-training: full-width products, target sparsity spread evenly"]
    coeffs = for_backend(load_coefficients(coefficient_family(part, notes)), backend)
    return network_cost(specs, coeffs, float(clock), PRETRAIN_SOURCE, notes)


def pretrain_metrics(network: NetworkRecord, settings: HlsSettings, sparsity: float, reuse_factor: int,
                     strategy: str) -> dict[str, float]:
    """Trial cost metrics (``lut``, ``dsp``, …, ``lut_pct``) of a design before training."""
    from hls_workers.fixed_point import parse_precision

    estimate = pretrain_estimate(
        network, parse_precision(settings.input_precision), sparsity, reuse_factor, strategy,
        part=lookup_part(settings.part).name, clock=settings.clock_period_ns, backend=settings.backend,
        softmax=network.softmax and settings.softmax == "emulate",
    )
    values, _ = cost_metrics(estimate, settings.part, no_dsp=not uses_dsp(strategy))
    return values


