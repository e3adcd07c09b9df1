"""``estimate:analytic``: closed-form LUT/DSP/FF/BRAM/latency of a converted hls4ml model (io_parallel)."""

from __future__ import annotations

from typing import Any

from hls_workers.estimate.base import Estimator, ResourceEstimate, register_estimator
from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import DEFAULT_UNCERTAINTY, network_cost
from hls_workers.parts import lookup_part

DEFAULT_FAMILY = "ultrascale_plus"


def _setting(settings: Any, key: str, default: Any = None) -> Any:
    if settings is None:
        return default
    if isinstance(settings, dict):
        return settings.get(key, default)
    return getattr(settings, key, default)


def target_of(hls_model: Any, settings: Any) -> tuple[str, float, str]:
    """(part, clock period in ns, io type): the settings win over the model's own configuration."""
    config = hls_model.config
    part = _setting(settings, "part") or config.get_config_value("Part") or ""
    clock = _setting(settings, "clock_period_ns") or config.get_config_value("ClockPeriod") or 5.0
    io_type = _setting(settings, "io_type") or config.get_config_value("IOType") or "io_parallel"
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


def backend_of(hls_model: Any, settings: Any = None) -> str:
    """'vitis' or 'vivado' (the HLS tool generation the coefficients are scaled for)."""
    config = getattr(hls_model, "config", None)
    backend = _setting(settings, "backend") or (config.get_config_value("Backend") if config is not None else None)
    return str(backend or "vitis").lower()


def clock_uncertainty_of(hls_model: Any, settings: Any = None) -> float:
    """The model's ClockUncertainty, else its backend's hls4ml default."""
    config = getattr(hls_model, "config", None)
    value = parse_uncertainty(config.get_config_value("ClockUncertainty")) if config is not None else None
    if value is not None:
        return value
    return DEFAULT_UNCERTAINTY.get(backend_of(hls_model, settings), DEFAULT_UNCERTAINTY["vitis"])


def family_of(part: str, notes: list[str]) -> str:
    """The part's family; unknown parts fall back to UltraScale+ coefficients with a note."""
    try:
        return lookup_part(part).family
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
        coeffs = load_coefficients(family_of(part, notes))
        coeffs["latency"]["clock_uncertainty"] = clock_uncertainty_of(hls_model, settings)
        coeffs["backend"] = backend_of(hls_model, settings)
        return network_cost(specs, coeffs, clock, self.name, notes)
