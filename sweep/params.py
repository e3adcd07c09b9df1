"""Search-space parameters: how one is written in a study file, checked, and sampled by Optuna.

A parameter is written as a fixed value (``8``), a list of choices (``[mean, max]``) or a range
(``{low: 4, high: 8, step: 2}``, ``{low: 1e-4, high: 1e-2, log: true}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

Scalar = int | float | str | bool


class ParamSpec(BaseModel):
    """One parameter of the search space as written in the study file."""

    model_config = ConfigDict(extra="forbid")

    value: Scalar | None = None
    choices: list[Scalar] | None = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, (int, float, str, bool)):
            return {"value": data}
        if isinstance(data, list):
            return {"choices": data}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> "ParamSpec":
        forms = [self.value is not None, self.choices is not None, self.low is not None or self.high is not None]
        if sum(forms) != 1:
            raise ValueError("give a value, a list of choices, or a range {low, high}")
        if self.choices is not None and not self.choices:
            raise ValueError("choices must not be empty")
        if forms[2]:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both low and high")
            if self.low > self.high:
                raise ValueError(f"low ({self.low:g}) is above high ({self.high:g})")
            if self.step is not None and self.step <= 0:
                raise ValueError("step must be positive")
            if self.step is not None and self.log:
                raise ValueError("a range takes either step or log: true, not both")
            if self.log and self.low <= 0:
                raise ValueError("a log range needs low > 0")
        return self

    def values_bound(self) -> tuple[Any, Any]:
        """Smallest and largest value this parameter can take (for cross-parameter checks)."""
        if self.value is not None:
            return self.value, self.value
        if self.choices is not None:
            try:
                return min(self.choices), max(self.choices)
            except TypeError:
                return None, None
        return self.low, self.high

    def all_values(self) -> list[Any]:
        """Every value for choices/fixed, the two ends for a range."""
        if self.value is not None:
            return [self.value]
        if self.choices is not None:
            return list(self.choices)
        return [self.low, self.high]


@dataclass(frozen=True)
class ParamDef:
    """What a model family or the common space declares about one parameter."""

    name: str
    kind: Literal["int", "float", "cat"]
    default: Any
    minimum: float | None = None
    below: float | None = None
    allowed: tuple[Any, ...] | None = None
    help: str = ""

    def check(self, spec: ParamSpec) -> None:
        """Raise ValueError if the spec can produce a value this parameter cannot take."""
        values = spec.all_values()
        if self.kind == "cat":
            if spec.low is not None:
                raise ValueError(f"takes one of {list(self.allowed or [])}, not a range")
            bad = [v for v in values if self.allowed is not None and v not in self.allowed]
            if bad:
                raise ValueError(f"{bad[0]!r} is not one of {list(self.allowed or [])}")
            return
        if self.kind == "int" and spec.step is not None and float(spec.step) != int(spec.step):
            raise ValueError(f"step {spec.step:g} is not a whole number")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{v!r} is not a number")
            if self.kind == "int" and float(v) != int(v):
                raise ValueError(f"{v!r} is not a whole number")
            if self.minimum is not None and v < self.minimum:
                raise ValueError(f"{v:g} is below the minimum {self.minimum:g}")
            if self.below is not None and v >= self.below:
                raise ValueError(f"{v:g} must be below {self.below:g}")


def suggest(trial: Any, name: str, spec: ParamSpec, kind: str) -> Any:
    """Sample ``name`` on an Optuna trial (fixed values are returned as they are)."""
    if spec.value is not None:
        return spec.value
    if spec.choices is not None:
        return trial.suggest_categorical(name, spec.choices)
    if kind == "int":
        step = int(spec.step or 1)
        return trial.suggest_int(name, int(spec.low), int(spec.high), step=step, log=spec.log)
    return trial.suggest_float(name, float(spec.low), float(spec.high), step=spec.step, log=spec.log)
