"""What an estimate is, what an estimator must provide, and the registry that finds estimators by name.

Every number carries its source (``estimate:analytic``, ``estimate:pretrain``, ``da4ml``, ``csynth``,
``vsynth``, ``yosys``) so a study never mixes a guess with a synthesis result unknowingly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

def setting(settings: Any, key: str, default: Any = None) -> Any:
    """``key`` of estimator settings given as a dict, an object with attributes (HlsSettings) or None."""
    if settings is None:
        return default
    if isinstance(settings, dict):
        return settings.get(key, default)
    return getattr(settings, key, default)


def backend_of(hls_model: Any, settings: Any = None) -> str:
    """hls4ml backend in lower case: the settings, else the model's configuration, else 'vitis'."""
    config = getattr(hls_model, "config", None)
    backend = setting(settings, "backend") or (config.get_config_value("Backend") if config is not None else None)
    return str(backend or "vitis").lower()


#: The resource/latency fields of a :class:`ResourceEstimate`, in report order.
METRICS = ("lut", "dsp", "ff", "bram_18k", "latency_cycles", "latency_ns", "ii")


@dataclass(frozen=True)
class Metric:
    """One number and where it came from; ``value`` is None when the source cannot tell."""

    value: float | None
    source: str

    @classmethod
    def unknown(cls, source: str) -> "Metric":
        return cls(None, source)


def _unknown() -> Metric:
    return Metric(None, "none")


@dataclass
class ResourceEstimate:
    """FPGA cost of one design: LUT, DSP, FF, BRAM (18 Kb blocks), latency (cycles, ns) and II."""

    lut: Metric = field(default_factory=_unknown)
    dsp: Metric = field(default_factory=_unknown)
    ff: Metric = field(default_factory=_unknown)
    bram_18k: Metric = field(default_factory=_unknown)
    latency_cycles: Metric = field(default_factory=_unknown)
    latency_ns: Metric = field(default_factory=_unknown)
    ii: Metric = field(default_factory=_unknown)
    notes: list[str] = field(default_factory=list)
    per_layer: list[dict] = field(default_factory=list)

    @classmethod
    def from_values(cls, source: str, notes: list[str] | None = None, per_layer: list[dict] | None = None,
                    **values: float | None) -> "ResourceEstimate":
        """All given metrics from one source (missing ones stay unknown with that source)."""
        unknown = set(values) - set(METRICS)
        if unknown:
            raise TypeError(f"unknown metrics: {sorted(unknown)}")
        metrics = {name: Metric(None if values.get(name) is None else float(values[name]), source)
                   for name in METRICS}
        return cls(**metrics, notes=list(notes or []), per_layer=list(per_layer or []))

    def metric(self, name: str) -> Metric:
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; one of {', '.join(METRICS)}")
        return getattr(self, name)

    def values(self) -> dict[str, float | None]:
        """``{metric: value}`` for the seven metrics."""
        return {name: self.metric(name).value for name in METRICS}

    def to_dict(self, per_layer: bool = False) -> dict[str, Any]:
        """Flat JSON: ``lut``, ``lut_source``, …, ``notes`` (and ``per_layer`` when asked)."""
        out: dict[str, Any] = {}
        for name in METRICS:
            metric = self.metric(name)
            out[name] = metric.value
            out[f"{name}_source"] = metric.source
        out["notes"] = list(self.notes)
        if per_layer:
            out["per_layer"] = list(self.per_layer)
        return out


class EstimatorUnavailable(RuntimeError):
    """The estimator cannot run here (missing tool or package); the message says why."""


class Estimator(ABC):
    """Turns a converted hls4ml model (or a design) into a :class:`ResourceEstimate`."""

    #: Registry name, also the ``source`` of what it measures (e.g. ``estimate:analytic``).
    name: str = ""

    def available(self, settings: Any = None) -> tuple[bool, str]:
        """``(True, "")`` when it can run here for ``settings`` (HlsSettings, dict or None), else ``(False, reason)``."""
        return True, ""

    @abstractmethod
    def estimate(self, hls_model_or_design: Any, settings: Any = None) -> ResourceEstimate:
        """Estimate the cost. ``settings`` is an :class:`~hls_workers.records.HlsSettings`, a dict or None."""

    def require_available(self, settings: Any = None) -> None:
        ok, reason = self.available(settings)
        if not ok:
            raise EstimatorUnavailable(f"{self.name}: {reason}")


_REGISTRY: dict[str, Callable[[], Estimator]] = {}


def register_estimator(name: str, factory: Callable[[], Estimator] | None = None):
    """Register an estimator class or factory under ``name``; usable as a class decorator."""

    def add(target: Callable[[], Estimator]):
        if name in _REGISTRY and _REGISTRY[name] is not target:
            raise ValueError(f"estimator {name!r} is already registered")
        _REGISTRY[name] = target
        return target

    return add(factory) if factory is not None else add


def get_estimator(name: str) -> Estimator:
    """A fresh instance of the estimator registered as ``name`` (``analytic`` means ``estimate:analytic``)."""
    key = name if name in _REGISTRY else f"estimate:{name}"
    if key not in _REGISTRY:
        raise KeyError(f"unknown estimator {name!r}; known: {', '.join(registered_estimators())}")
    return _REGISTRY[key]()


def registered_estimators() -> list[str]:
    """Names of all registered estimators, sorted."""
    return sorted(_REGISTRY)
