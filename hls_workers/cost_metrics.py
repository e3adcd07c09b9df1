"""The cost metrics of a trial and of ``sweep estimate``: names, sources and percent of the device."""

from __future__ import annotations

from typing import Any

from hls_workers.parts import lookup_part, percent_of_device

#: Trial metric name → ResourceEstimate metric name.
COST_METRICS = {"lut": "lut", "dsp": "dsp", "ff": "ff", "bram": "bram_18k", "latency_cycles": "latency_cycles",
                "latency_ns": "latency_ns", "ii": "ii"}


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
