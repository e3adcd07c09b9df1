"""The search space: family architecture parameters + common quantization/pruning/hls4ml parameters.

Turns an Optuna trial into a concrete :class:`~sweep.design.Design` (cf. keras-tuner's HyperParameters).
"""

from __future__ import annotations

from typing import Any

from hls_workers.records import LayerQuant
from hls_workers.strategy import STRATEGIES
from sweep.design import Design
from sweep.models import get_family
from sweep.params import ParamDef, ParamSpec, suggest

#: Parameters every family shares. Integer bits follow QKeras: without the sign bit.
COMMON_PARAMS: tuple[ParamDef, ...] = (
    ParamDef("quantization", "cat", "qat", allowed=("qat", "ptq"),
             help="qat: QKeras quantizers in training; ptq: float training, fixed point only in hls4ml"),
    ParamDef("weight_bits", "int", 8, minimum=2, help="total bits of weights and biases"),
    ParamDef("weight_int_bits", "int", 0, minimum=0, help="integer bits of weights (sign excluded)"),
    ParamDef("act_bits", "int", 8, minimum=1, help="total bits of ReLU outputs"),
    ParamDef("act_int_bits", "int", 3, minimum=0, help="integer bits of ReLU outputs"),
    ParamDef("sparsity", "float", 0.0, minimum=0.0, below=1.0, help="pruning target sparsity"),
    ParamDef("reuse_factor", "int", 1, minimum=1, help="hls4ml reuse factor"),
    ParamDef("strategy", "cat", "latency", allowed=STRATEGIES,
             help="hls4ml strategy; distributed_arithmetic is costed by da4ml (MLPs)"),
)
BIT_PARAMS = ("weight_bits", "weight_int_bits", "act_bits", "act_int_bits")


def param_defs(family: str) -> dict[str, ParamDef]:
    """Every parameter a study of ``family`` may name under ``space:``."""
    return {p.name: p for p in (*get_family(family).params, *COMMON_PARAMS)}


def check_space(family: str, space: dict[str, ParamSpec]) -> list[tuple[str, str]]:
    """Problems as ``(key, message)``: unknown names, impossible values, integer bits above bits."""
    defs = param_defs(family)
    problems: list[tuple[str, str]] = []
    for key, spec in space.items():
        if key not in defs:
            problems.append((key, f"unknown parameter for family {family!r}; known: {', '.join(sorted(defs))}"))
            continue
        try:
            defs[key].check(spec)
        except ValueError as exc:
            problems.append((key, str(exc)))
    if problems:
        return problems
    full = complete_space(family, space)
    for bits, integer, sign in (("weight_bits", "weight_int_bits", 1), ("act_bits", "act_int_bits", 0)):
        low_bits, _ = full[bits].values_bound()
        _, high_int = full[integer].values_bound()
        if high_int + sign > low_bits:
            what = "bits - 1 (one bit is the sign)" if sign else "bits"
            problems.append((integer, f"integer bits up to {high_int:g} exceed {what} of the smallest {bits} ({low_bits:g})"))
    return problems


def base_name(param: str) -> str:
    """``phi_width_2`` → ``phi_width``; ``weight_bits@rho_0`` → ``weight_bits``; others unchanged."""
    name = param.split("@", 1)[0]
    head, _, tail = name.rpartition("_")
    return head if tail.isdigit() and head else name


def check_enqueued(family: str, space: dict[str, ParamSpec], params: dict[str, Any]) -> str | None:
    """Why an enqueued design cannot be sampled from this space, or ``None`` if it can."""
    defs, full = param_defs(family), complete_space(family, space)
    for key, value in params.items():
        base = base_name(key)
        if base not in defs:
            return f"{key}: unknown parameter"
        spec = full.get(base)
        if spec is not None and spec.value is not None:
            return f"{key}: fixed to {spec.value!r} in the space, so it is not sampled"
        try:
            defs[base].check(ParamSpec(value=value))
        except ValueError as exc:
            return f"{key}: {exc}"
        if spec is not None and spec.choices is not None and value not in spec.choices:
            return f"{key}: {value!r} is not among the choices {spec.choices}"
        if spec is not None and spec.low is not None and not spec.low <= value <= spec.high:
            return f"{key}: {value!r} is outside [{spec.low:g}, {spec.high:g}]"
    return None


def complete_space(family: str, space: dict[str, ParamSpec]) -> dict[str, ParamSpec]:
    """The study's space with every unnamed parameter fixed at its default."""
    full = {name: ParamSpec(value=d.default) for name, d in param_defs(family).items() if d.default is not None}
    full.update(space)
    return full


class SearchSpace:
    """Samples designs of one family from a (validated) space."""

    def __init__(self, family: str, space: dict[str, ParamSpec], per_layer_bits: bool = False) -> None:
        self.family = get_family(family)
        self.specs = complete_space(family, space)
        self.defs = param_defs(family)
        self.per_layer_bits = per_layer_bits

    def _suggest(self, trial: Any, name: str, base: str) -> Any:
        return suggest(trial, name, self.specs[base], self.defs[base].kind)

    def sample(self, trial: Any) -> Design:
        """The design of ``trial`` (parameters are registered on the trial as they are drawn)."""
        architecture = self.family.sample(trial, self.specs)
        layer_names = [name for name, _, _ in self.family.dense_layers(architecture)]
        shared = {b: int(self._suggest(trial, b, b)) for b in BIT_PARAMS} if not self.per_layer_bits else {}
        layer_quant: dict[str, LayerQuant] = {}
        for layer in layer_names:
            bits = shared or {b: int(self._suggest(trial, f"{b}@{layer}", b)) for b in BIT_PARAMS}
            layer_quant[layer] = LayerQuant(**bits)
        return Design(
            family=self.family.name,
            architecture=architecture,
            layer_quant=layer_quant,
            sparsity=float(self._suggest(trial, "sparsity", "sparsity")),
            reuse_factor=int(self._suggest(trial, "reuse_factor", "reuse_factor")),
            quantization=str(self._suggest(trial, "quantization", "quantization")),
            strategy=str(self._suggest(trial, "strategy", "strategy")),
        )


class _GridProbe:
    """A stand-in trial that records every parameter a design samples, with all its values (for the grid
    sampler). Integer parameters return their largest value, so every per-layer parameter shows up."""

    def __init__(self) -> None:
        self.grid: dict[str, list[Any]] = {}

    def _refuse(self, name: str, why: str) -> None:
        raise ValueError(f"space.{base_name(name)}: the grid sampler needs a list of choices or a range with "
                         f"step, not {why}")

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        values = self.grid[name] = list(choices)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        return max(values) if numeric else values[0]  # the most layers: every per-layer name appears

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        if log:
            self._refuse(name, "a log range")
        self.grid[name] = list(range(int(low), int(high) + 1, int(step)))
        return self.grid[name][-1]

    def suggest_float(self, name: str, low: float, high: float, step: float | None = None,
                      log: bool = False) -> float:
        if log or step is None:
            self._refuse(name, "a log range" if log else "a float range without step")
        count = int(round((high - low) / step)) + 1
        values = [round(low + i * step, 12) for i in range(count)]
        self.grid[name] = [v for v in values if v <= high + 1e-12]
        return self.grid[name][-1]


def grid_search_space(family: str, space: dict[str, ParamSpec], per_layer_bits: bool = False) -> dict[str, list[Any]]:
    """Optuna ``GridSampler`` search space of a study's space: every sampled parameter with all its values
    (choices as listed, ranges expanded by their step). ValueError (one line) for a log range or a float range
    without step. A parameter that exists only for some designs (``phi_width_2`` when ``phi_layers`` varies)
    is still a grid axis: such grids repeat designs; the grid is meant for precision sweeps."""
    probe = _GridProbe()
    SearchSpace(family, space, per_layer_bits).sample(probe)
    return probe.grid


def grid_size(grid: dict[str, list[Any]]) -> int:
    size = 1
    for values in grid.values():
        size *= len(values)
    return size
