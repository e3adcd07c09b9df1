"""``estimate:analytic``: closed-form LUT/DSP/FF/BRAM/latency of a converted hls4ml model (io_parallel)."""

from __future__ import annotations

from typing import Any

from hls_workers.estimate.base import Estimator, ResourceEstimate, backend_of, register_estimator, setting
from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import default_uncertainty, for_backend, network_cost
from hls_workers.parts import coefficient_family

DEFAULT_FAMILY = "ultrascale_plus"


def target_of(hls_model: Any, settings: Any) -> tuple[str, float, str]:
    """(part, clock period in ns, io type): the settings win over the model's own configuration."""
    config = hls_model.config
    part = setting(settings, "part") or config.get_config_value("Part") or ""
    clock = setting(settings, "clock_period_ns") or config.get_config_value("ClockPeriod") or 5.0
    io_type = setting(settings, "io_type") or config.get_config_value("IOType") or "io_parallel"
    return str(part), float(clock), str(io_type)


def parse_uncertainty(value: Any) -> float | None:
    """'27%', '0.27', 27 or 0.27 as a fraction; None when absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        text = str(value).strip()
        number = float(text.rstrip("%"))
    except ValueError:
        return None
    return number / 100.0 if text.endswith("%") or number > 1 else number


def clock_uncertainty_of(hls_model: Any, settings: Any = None) -> float:
    """The model's ClockUncertainty, else its backend's hls4ml default."""
    config = getattr(hls_model, "config", None)
    value = parse_uncertainty(config.get_config_value("ClockUncertainty")) if config is not None else None
    return default_uncertainty(backend_of(hls_model, settings)) if value is None else value


def family_of(part: str, notes: list[str]) -> str:
    """The part's coefficient file (:func:`~hls_workers.parts.coefficient_family`, which notes uncalibrated
    fallbacks); unknown parts fall back to UltraScale+ coefficients with a note."""
    try:
        return coefficient_family(part, notes)
    except ValueError:
        notes.append(f"part {part!r} is not in the part table: {DEFAULT_FAMILY} coefficients used")
        return DEFAULT_FAMILY


@register_estimator("estimate:analytic")
class AnalyticEstimator(Estimator):
    """Per-layer cost over the real (quantized, pruned) weights; see docs/hardware_cost.md."""

    name = "estimate:analytic"

    def estimate(self, hls_model_or_design: Any, settings: Any = None) -> ResourceEstimate:
        from hls_workers.estimate.hls_graph import layer_specs

        hls_model = hls_model_or_design
        part, clock, io_type = target_of(hls_model, settings)
        specs, notes = layer_specs(hls_model)
        if io_type != "io_parallel":
            notes.append(f"{io_type} is modelled as io_parallel (FIFOs and stream control not counted)")
        for spec in specs:
            if spec.kind == "dense" and spec.strategy not in ("latency", "resource"):
                notes.append(f"{spec.name}: strategy {spec.strategy!r} modelled as Latency (use the da4ml estimator)")
        coeffs = for_backend(load_coefficients(family_of(part, notes)), backend_of(hls_model, settings),
                             clock_uncertainty_of(hls_model, settings))
        return network_cost(specs, coeffs, clock, self.name, notes)
