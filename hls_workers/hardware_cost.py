"""Hardware cost of a converted design, inside the hardware stage: one flat dict, every value with a source.

The estimator follows the design's strategy (:func:`hls_workers.strategy.cost_estimator`). Percent-of-device
values come from the part table (:mod:`hls_workers.cost_metrics`).
"""

from __future__ import annotations

from typing import Any

from hls_workers.cost_metrics import cost_metrics
from hls_workers.estimate import get_estimator
from hls_workers.records import HardwareJob
from hls_workers.strategy import cost_estimator


def estimate_hardware(hls_model: Any, job: HardwareJob) -> dict[str, Any]:
    """``{"values": {lut, dsp, …, lut_pct, …}, "sources": {lut: "estimate:analytic", …}, "notes": [...]}``."""
    estimate = get_estimator(cost_estimator(job.strategy)).estimate(hls_model, job.settings)
    values, sources = cost_metrics(estimate, job.settings.part)
    return {"values": values, "sources": sources, "notes": list(estimate.notes)}
