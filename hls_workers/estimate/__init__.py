"""Hardware cost of a design: LUT, DSP, FF, BRAM, latency and II, every number with its source.

Estimators live in a registry (:func:`get_estimator`). Adding one is adding a module to this package that
subclasses :class:`Estimator` and decorates it with :func:`register_estimator`: every module here is
imported below, so it is found without editing any other file.

- ``estimate:analytic`` — closed-form model over a converted hls4ml model (:mod:`.analytic`);
- ``estimate:pretrain`` — the same model from the design alone, before training (:mod:`.pretrain`);
- ``da4ml`` — exact distributed-arithmetic cost of the constant-multiplication graph (:mod:`.da4ml`);
- ``csynth`` / ``vsynth`` — Vitis/Vivado HLS synthesis reports when the tools exist (:mod:`.synthesis`);
- ``yosys`` — ``synth_xilinx`` on da4ml's RTL when Yosys exists (:mod:`.yosys`).
"""

import importlib
import pkgutil

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

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")  # estimator modules register themselves

from hls_workers.estimate.pretrain import estimate_design  # noqa: E402

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
