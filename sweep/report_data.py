"""What ``sweep report`` shows, as plain data read from a study's trials: bits of a design, the gap grid
over total × integer bits, QAT-vs-PTQ gap curves by model size, parameter importances, and the Pareto
table with the source of every number. No plotting here (see :mod:`sweep.report_figures`)."""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from sweep.report import SHOWN_METRICS, design_summary

#: Gap metrics in order of preference: classification studies have ``accuracy_gap``; regression studies
#: ``mae``, the mean |emulated − Keras| prediction (``output_gap``: trials recorded before ``mae`` existed).
GAP_METRICS = ("accuracy_gap", "mae", "output_gap")

#: The two kinds of bits a design has (per layer): (total bits key, integer bits key, label).
BIT_KINDS = {"weights": ("weight_bits", "weight_int_bits"), "activations": ("act_bits", "act_int_bits")}

#: Parameter importances need this many COMPLETE trials (fewer give noise, or an error from the evaluator).
MIN_IMPORTANCE_TRIALS = 8

#: Where a task metric comes from (hardware metrics carry their own source in ``hardware_sources``).
_KERAS_METRICS = {"keras_accuracy", "keras_mse", "keras_resolution_median", "keras_resolution_bias",
                  "keras_resolution_iqr"}
_EMULATED_METRICS = {"emulated_accuracy", "emulated_auc", "emulated_mse", "emulated_resolution_median",
                     "emulated_resolution_bias", "emulated_resolution_iqr"}
_COMPARED_METRICS = {"accuracy_gap", "accuracy_gap_signed", "agreement", "disagreement", "output_gap",
                     "mae", "mpe", "mpe_signed"}
_MODEL_METRICS = {"bops", "n_params", "n_params_total", "sparsity", "epochs_run"}

#: Hardware metrics shown in the Pareto table when a trial has them.
HARDWARE_METRICS = ("lut", "dsp", "ff", "bram", "latency_cycles", "latency_ns", "ii")


def complete_trials(study: optuna.Study) -> list[FrozenTrial]:
    """COMPLETE trials in trial-number order."""
    return sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number)


def objective_names(study: optuna.Study) -> list[str]:
    return list(study.metric_names or [f"objective_{i}" for i in range(len(study.directions))])


def gap_metric(trials: list[FrozenTrial]) -> str | None:
    """The Keras-vs-emulation gap metric the trials record (``accuracy_gap``, or ``mae`` for regression)."""
    for metric in GAP_METRICS:
        if any(metric in t.user_attrs.get("metrics", {}) for t in trials):
            return metric
    return None


def narrowest_bits(design: dict[str, Any] | None, kind: str) -> tuple[int, int] | None:
    """(total bits, integer bits) of a design's ``kind`` ("weights" or "activations"). With bits sampled per
    layer, the narrowest layer's (fewest total bits, then fewest integer bits): the one that opens a gap."""
    bits_key, int_key = BIT_KINDS[kind]
    quant = (design or {}).get("layer_quant") or {}
    pairs = [(int(q[bits_key]), int(q[int_key])) for q in quant.values() if bits_key in q and int_key in q]
    return min(pairs) if pairs else None


def per_layer(design: dict[str, Any] | None, kind: str) -> bool:
    """Whether a design's ``kind`` bits differ between layers."""
    bits_key, int_key = BIT_KINDS[kind]
    quant = (design or {}).get("layer_quant") or {}
    return len({(q.get(bits_key), q.get(int_key)) for q in quant.values()}) > 1


@dataclass
class GapGrid:
    """Mean / min gap and trial count per (integer bits, total bits) cell; ``None`` where no trial is."""

    kind: str
    metric: str
    total_bits: list[int]
    int_bits: list[int]
    mean: list[list[float | None]]  # [int_bits index][total_bits index]
    minimum: list[list[float | None]]
    count: list[list[int]]
    per_layer: bool = False  # some design had per-layer bits: its narrowest layer is counted

    def cell(self, total: int, integer: int) -> tuple[float | None, float | None, int]:
        i, j = self.int_bits.index(integer), self.total_bits.index(total)
        return self.mean[i][j], self.minimum[i][j], self.count[i][j]


def gap_grid(trials: list[FrozenTrial], kind: str, metric: str) -> GapGrid | None:
    """The gap of COMPLETE trials over total bits × integer bits of ``kind``; ``None`` without data."""
    cells: dict[tuple[int, int], list[float]] = defaultdict(list)
    mixed = False
    for trial in trials:
        design = trial.user_attrs.get("design")
        bits = narrowest_bits(design, kind)
        value = trial.user_attrs.get("metrics", {}).get(metric)
        if bits is None or value is None or not math.isfinite(value):
            continue
        cells[bits].append(float(value))
        mixed = mixed or per_layer(design, kind)
    if not cells:
        return None
    totals = sorted({b for b, _ in cells})
    integers = sorted({i for _, i in cells})
    mean = [[None] * len(totals) for _ in integers]
    minimum = [[None] * len(totals) for _ in integers]
    count = [[0] * len(totals) for _ in integers]
    for (total, integer), values in cells.items():
        i, j = integers.index(integer), totals.index(total)
        mean[i][j] = float(np.mean(values))
        minimum[i][j] = float(np.min(values))
        count[i][j] = len(values)
    return GapGrid(kind, metric, totals, integers, mean, minimum, count, mixed)


def size_label(metrics: dict[str, Any]) -> str | None:
    """Model size as a power-of-two bucket of its parameter count (before pruning), e.g. ``2k–4k params``."""
    n = metrics.get("n_params_total", metrics.get("n_params"))
    if n is None or not n > 0:
        return None
    low = 2 ** int(math.floor(math.log2(n)))
    return f"{_short(low)}–{_short(2 * low)} params"


def _short(n: int) -> str:
    return f"{n // 1024}k" if n >= 1024 else str(n)


@dataclass
class GapCurves:
    """Mean gap per total bits, for each (model size, quantization); ``reason`` set when absent."""

    kind: str
    metric: str
    curves: dict[tuple[str, str], list[tuple[int, float, int]]] = field(default_factory=dict)
    reason: str | None = None


def qat_ptq_curves(trials: list[FrozenTrial], kind: str, metric: str) -> GapCurves:
    """QAT and PTQ gap over total bits of ``kind``, one pair of curves per model size that has both."""
    groups: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    modes: dict[str, int] = defaultdict(int)
    for trial in trials:
        design = trial.user_attrs.get("design") or {}
        metrics = trial.user_attrs.get("metrics", {})
        mode, bits, size = design.get("quantization"), narrowest_bits(design, kind), size_label(metrics)
        value = metrics.get(metric)
        if mode not in ("qat", "ptq") or bits is None or size is None or value is None:
            continue
        modes[mode] += 1
        groups[(size, mode)][bits[0]].append(float(value))
    result = GapCurves(kind, metric)
    missing = [m.upper() for m in ("qat", "ptq") if not modes[m]]
    if missing:
        present = ", ".join(f"{n} {m.upper()}" for m, n in modes.items()) or "none with a quantization mode"
        result.reason = (f"the study has no {' and no '.join(missing)} trial among its COMPLETE trials "
                         f"({present}); add `quantization: [qat, ptq]` to the space to compare them")
        return result
    sizes = sorted({s for s, _ in groups if (s, "qat") in groups and (s, "ptq") in groups}, key=_size_order)
    if not sizes:
        result.reason = ("QAT and PTQ trials never share a model size (parameter-count bucket), "
                         "so no curve pair can be drawn")
        return result
    for size in sizes:
        for mode in ("qat", "ptq"):
            by_bits = groups[(size, mode)]
            result.curves[(size, mode)] = [(b, float(np.mean(v)), len(v)) for b, v in sorted(by_bits.items())]
    return result


def _size_order(label: str) -> int:
    low = label.split("–")[0]
    return int(low[:-1]) * 1024 if low.endswith("k") else int(low)


@dataclass
class Importances:
    """Parameter importance per objective; ``reason`` set when they could not be computed."""

    by_objective: dict[str, dict[str, float]] = field(default_factory=dict)
    reason: str | None = None


def param_importances(study: optuna.Study, trials: list[FrozenTrial]) -> Importances:
    """Optuna's parameter importances (its default evaluator), one set per objective."""
    if len(trials) < MIN_IMPORTANCE_TRIALS:
        return Importances(reason=f"parameter importances need at least {MIN_IMPORTANCE_TRIALS} COMPLETE "
                                  f"trials; the study has {len(trials)}")
    varying = {name for name in {p for t in trials for p in t.params}
               if len({repr(t.params.get(name)) for t in trials}) > 1}
    if not varying:
        return Importances(reason="no sampled parameter varies between the COMPLETE trials")
    result = Importances()
    for index, name in enumerate(objective_names(study)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = optuna.importance.get_param_importances(
                    study, target=lambda t, i=index: t.values[i])
        except (RuntimeError, ValueError, ZeroDivisionError) as exc:
            return Importances(reason=f"parameter importances could not be computed: {exc}")
        result.by_objective[name] = {k: float(v) for k, v in values.items()}
    return result


def metric_source(trial: FrozenTrial, metric: str) -> str:
    """Where a trial's number comes from: its hardware source (``estimate:analytic``, ``da4ml``, ``csynth``
    …), the emulation, Keras, their comparison, or the trained model."""
    hardware = trial.user_attrs.get("hardware_sources") or {}
    if metric in hardware:
        return str(hardware[metric])
    emulation = f"emulation:{trial.user_attrs.get('emulator_used') or 'numpy'}"
    if metric in _EMULATED_METRICS or metric.startswith("auc_"):
        return emulation
    if metric in _KERAS_METRICS:
        return "keras"
    if metric in _COMPARED_METRICS:
        return f"keras vs {emulation}"
    if metric in _MODEL_METRICS:
        return "trained model"
    return "objective value"


@dataclass
class ParetoTable:
    """The Pareto trials: columns (metric names) and per trial, per column, (value, source)."""

    columns: list[str]
    rows: list[dict[str, Any]]  # {"trial", "design", "cells": {column: (value, source)}, "notes"}


def pareto_table(study: optuna.Study) -> ParetoTable:
    """``study.best_trials`` (trial-number order) with objectives, key metrics and each number's source."""
    objectives = objective_names(study)
    best = sorted(study.best_trials, key=lambda t: t.number)
    present = {m for t in best for m in t.user_attrs.get("metrics", {})}
    extra = [m for m in (*SHOWN_METRICS, *HARDWARE_METRICS) if m in present and m not in objectives]
    columns = objectives + extra
    rows = []
    for trial in best:
        metrics = trial.user_attrs.get("metrics", {})
        cells = {}
        for index, name in enumerate(objectives):
            cells[name] = (trial.values[index], metric_source(trial, name))
        for name in extra:
            if name in metrics:
                cells[name] = (metrics[name], metric_source(trial, name))
        notes = []
        for kind in ("cross_check", "synthesis"):
            record = study.user_attrs.get(f"{kind}:{trial.number}")
            if record:
                notes.append(f"{kind.replace('_', ' ')}: {_record_text(record)}")
        artifacts = trial.user_attrs.get("artifact_ids") or {}
        if artifacts:
            notes.append("artifacts: " + ", ".join(sorted(artifacts)))
        rows.append({"trial": trial.number, "design": design_summary(trial.user_attrs.get("design")),
                     "cells": cells, "notes": notes})
    return ParetoTable(columns, rows)


def _record_text(record: dict[str, Any]) -> str:
    if record.get("bit_exact_fraction") is not None:
        return f"bit-exact fraction {record['bit_exact_fraction']:g}"
    text = str(record.get("status", ""))
    return f"{text} ({record['reason']})" if record.get("reason") else text
