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


#: ``percent_of_device`` key → trial metric it is a percentage of.
PERCENT_OF = {"lut": "lut", "ff": "ff", "dsp": "dsp", "bram_18k": "bram"}


def cost_metrics(estimate: Any, part: str, no_dsp: bool = False) -> tuple[dict[str, float], dict[str, str]]:
    """Trial metrics ``{lut, dsp, …, lut_pct, …}`` of an estimate on ``part``, and the source of each.

    ``no_dsp`` forces DSP to 0 (distributed arithmetic uses none, whatever a generic estimate says).
    """
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for name, metric_name in COST_METRICS.items():
        metric = estimate.metric(metric_name)
        if metric.value is not None:
            values[name] = 0.0 if no_dsp and name == "dsp" else float(metric.value)
            sources[name] = metric.source
    for key, pct in percent_of_device(values, lookup_part(part)).items():
        if pct is not None:
            values[f"{PERCENT_OF[key]}_pct"] = float(pct)
            sources[f"{PERCENT_OF[key]}_pct"] = sources[PERCENT_OF[key]]
    return values, sources


def estimate_hardware(hls_model: Any, job: HardwareJob) -> dict[str, Any]:
    """``{"values": {lut, dsp, …, lut_pct, …}, "sources": {lut: "estimate:analytic", …}, "notes": [...]}``."""
    estimate = get_estimator(estimator_for(job.strategy)).estimate(hls_model, job.settings)
    values, sources = cost_metrics(estimate, job.settings.part)
    return {"values": values, "sources": sources, "notes": list(estimate.notes)}
