"""Hardware constraints of a study: the cheap pre-training check and Optuna constraint values.

A constraint value is ``metric - limit`` (feasible when ≤ 0, Optuna's convention for ``set_constraint``).
"""

from __future__ import annotations

from typing import Any

from hls_workers.estimate import estimate_design
from hls_workers.fixed_point import parse_precision
from hls_workers.hardware_cost import cost_metrics
from hls_workers.parts import lookup_part
from sweep.design import Design
from sweep.models import get_family


def layer_shapes(design: Design, input_shape: tuple[int, ...], n_outputs: int) -> list[Any]:
    """The design's dense layers (and pooling) in data-flow order, as the pre-training estimator wants them."""
    family = get_family(design.family)
    architecture = design.architecture
    after_pool = family.first_after_pool(architecture)
    n_items = architecture.get("n_constituents") or (input_shape[0] if len(input_shape) > 1 else 1)
    n_in = input_shape[-1]
    shapes: list[Any] = []
    for name, units, per_constituent in family.dense_layers(architecture):
        units = units or n_outputs
        if name == after_pool:
            shapes.append({"pool": architecture.get("aggregation", "mean"), "items": n_items, "features": n_in})
        shapes.append((n_in, units, n_items) if per_constituent else (n_in, units))
        n_in = units
    return shapes


def pretrain_metrics(design: Design, input_shape: tuple[int, ...], n_outputs: int, hls4ml: Any) -> dict[str, float]:
    """Resource/latency metrics of a design before training (no weights: target sparsity, full-width products)."""
    family = get_family(design.family)
    names = [name for name, _, _ in family.dense_layers(design.architecture)]
    da = design.strategy == "distributed_arithmetic"
    estimate = estimate_design(
        layer_shapes(design, input_shape, n_outputs),
        [design.layer_quant[name] for name in names],
        sparsity=design.sparsity,
        reuse_factor=design.reuse_factor,
        strategy="latency" if da else design.strategy,
        part=lookup_part(hls4ml.part).name,
        clock=hls4ml.clock_period_ns,
        input_bits=parse_precision(hls4ml.input_precision).width,
        softmax=hls4ml.softmax == "emulate",
        backend=hls4ml.backend,
    )
    values, _ = cost_metrics(estimate, hls4ml.part, no_dsp=da)
    return values


def pretrain_violations(values: dict[str, float], limits: dict[str, float], margin: float) -> list[str]:
    """Limits the pre-training estimate exceeds by more than ``margin`` times (empty: train the design)."""
    if margin <= 0:
        return []
    return [f"{metric} ≈ {values[metric]:.4g} > {margin:g} × limit {limit:g}"
            for metric, limit in limits.items() if metric in values and values[metric] > margin * limit]


def constraint_values(metrics: dict[str, float], limits: dict[str, float]) -> dict[str, float]:
    """``metric - limit`` per limit; a metric the trial lacks counts as violated (+inf is not allowed: 1e30)."""
    return {metric: (metrics[metric] - limit) if metric in metrics else 1e30 for metric, limit in limits.items()}
