"""Hardware cost of a converted design, inside the hardware stage: one flat dict, every value with a source.

Latency/Resource designs are costed by the analytic estimator; ``distributed_arithmetic`` designs by da4ml
(exact LUTs, no DSP). Percent-of-device values come from the part table.
"""

from __future__ import annotations

from typing import Any

from hls_workers.estimate import get_estimator
from hls_workers.parts import lookup_part, percent_of_device
from hls_workers.records import HardwareJob

#: Trial metric name → ResourceEstimate metric name.
COST_METRICS = {"lut": "lut", "dsp": "dsp", "ff": "ff", "bram": "bram_18k", "latency_cycles": "latency_cycles",
                "latency_ns": "latency_ns", "ii": "ii"}


def estimator_for(strategy: str) -> str:
    return "da4ml" if strategy == "distributed_arithmetic" else "estimate:analytic"


def estimate_hardware(hls_model: Any, job: HardwareJob) -> dict[str, Any]:
    """``{"values": {lut, dsp, …, lut_pct, …}, "sources": {lut: "estimate:analytic", …}, "notes": [...]}``."""
    estimator = get_estimator(estimator_for(job.strategy))
    estimate = estimator.estimate(hls_model, job.settings)
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for name, metric_name in COST_METRICS.items():
        metric = estimate.metric(metric_name)
        if metric.value is not None:
            values[name] = float(metric.value)
            sources[name] = metric.source
    for key, pct in percent_of_device(estimate, lookup_part(job.settings.part)).items():
        if pct is not None:
            name = "bram_pct" if key == "bram_18k" else f"{key}_pct"
            values[name] = float(pct)
            sources[name] = sources.get(key if key != "bram_18k" else "bram", estimate.metric(key).source)
    return {"values": values, "sources": sources, "notes": list(estimate.notes)}
