"""Hardware constraints of a study: the cheap pre-training check and Optuna constraint values.

A constraint value is ``metric - limit`` (feasible when ≤ 0, Optuna's convention for ``set_constraint``).
"""

from __future__ import annotations

from typing import Any

from hls_workers.network_cost import pretrain_metrics as network_pretrain_metrics
from sweep.design import Design


def pretrain_metrics(design: Design, input_shape: tuple[int, ...], n_outputs: int, task: str,
                     hls4ml: Any) -> dict[str, float]:
    """Resource/latency metrics of a design before training (no weights: target sparsity, full-width products)."""
    from sweep.pipeline import design_network, hls_settings

    network = design_network(design, input_shape, n_outputs, task)
    return network_pretrain_metrics(network, hls_settings(hls4ml), design.sparsity, design.reuse_factor,
                                    design.strategy)


def pretrain_violations(values: dict[str, float], limits: dict[str, float], margin: float) -> list[str]:
    """Limits the pre-training estimate exceeds by more than ``margin`` times (empty: train the design)."""
    if margin <= 0:
        return []
    return [f"{metric} ≈ {values[metric]:.4g} > {margin:g} × limit {limit:g}"
            for metric, limit in limits.items() if metric in values and values[metric] > margin * limit]


def constraint_values(metrics: dict[str, float], limits: dict[str, float]) -> dict[str, float]:
    """``metric - limit`` per limit; a metric the trial lacks counts as violated (+inf is not allowed: 1e30)."""
    return {metric: (metrics[metric] - limit) if metric in metrics else 1e30 for metric, limit in limits.items()}
