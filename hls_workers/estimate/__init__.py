"""Hardware cost of a design: LUT, DSP, FF, BRAM, latency and II, every number with its source.

Estimators live in a registry (:func:`get_estimator`); adding one is adding a module that subclasses
:class:`Estimator` and calls :func:`register_estimator`, plus an import below.

- ``estimate:analytic`` — closed-form model over a converted hls4ml model (:mod:`.analytic`);
- ``estimate:pretrain`` — the same model from the design alone, before training (:func:`estimate_design`);
- ``da4ml`` — exact distributed-arithmetic cost of the constant-multiplication graph (:mod:`.da4ml`);
- ``csynth`` / ``vsynth`` — Vitis/Vivado HLS synthesis reports when the tools exist (:mod:`.synthesis`);
- ``yosys`` — ``synth_xilinx`` on da4ml's RTL when Yosys exists (:mod:`.yosys`).
"""

from hls_workers.estimate.base import (
    METRICS,
    Estimator,
    EstimatorUnavailable,
    Metric,
    ResourceEstimate,
    get_estimator,
    register_estimator,
    registered_estimators,
)
from hls_workers.estimate import analytic as _analytic  # noqa: F401  (registers estimate:analytic)
from hls_workers.estimate import da4ml as _da4ml  # noqa: F401  (registers da4ml)
from hls_workers.estimate import pretrain as _pretrain  # noqa: F401  (registers estimate:pretrain)
from hls_workers.estimate import synthesis as _synthesis  # noqa: F401  (registers csynth, vsynth)
from hls_workers.estimate import yosys as _yosys  # noqa: F401  (registers yosys)
from hls_workers.estimate.pretrain import estimate_design

__all__ = [
    "METRICS",
    "Estimator",
    "EstimatorUnavailable",
    "Metric",
    "ResourceEstimate",
    "estimate_design",
    "get_estimator",
    "register_estimator",
    "registered_estimators",
]
