"""Hypervolume of a multi-objective study: the reference box, the hypervolume of a set of trials, and its
history over trials (used by ``sweep report`` and ``bench/sampler_efficiency.py``).

Objectives live on very different scales (accuracy ~0.7, LUTs ~10⁴), so every objective is rescaled to
[0, 1] over a box: 0 at the best observed value (the ideal point), 1 at the worst observed value (the
reference point, direction-aware). The hypervolume is then the fraction of that box the trials
dominate — unitless, comparable between objectives and, with one shared box, between runs. Only COMPLETE
and feasible trials count (as in Optuna: a trial with a constraint value > 0 is infeasible).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState


@dataclass(frozen=True)
class Box:
    """Ideal and reference (worst) point, in the objectives' own units and directions."""

    ideal: tuple[float, ...]
    reference: tuple[float, ...]
    directions: tuple[str, ...]  # "minimize" / "maximize"

    def normalize(self, values: np.ndarray) -> np.ndarray:
        """Rows of objective values → minimization space scaled to [0, 1] (1 = the reference point)."""
        ideal, reference = np.asarray(self.ideal, float), np.asarray(self.reference, float)
        span = np.abs(reference - ideal)
        span[span == 0] = 1.0  # an objective that never varied: every trial sits at 0 on it
        return np.clip(np.abs(np.asarray(values, float) - ideal) / span, 0.0, 1.0)


def direction_names(study: optuna.Study) -> tuple[str, ...]:
    return tuple("maximize" if d == StudyDirection.MAXIMIZE else "minimize" for d in study.directions)


def feasible_complete(trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
    """COMPLETE trials that meet every constraint, in trial-number order."""
    kept = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None
            and all(c <= 0.0 for c in (getattr(t, "constraints", None) or {}).values())]
    return sorted(kept, key=lambda t: t.number)


def reference_box(value_rows: Sequence[Sequence[float]], directions: Sequence[str]) -> Box:
    """The box spanned by the best and worst observed value of every objective (direction-aware)."""
    values = np.asarray(value_rows, float)
    if values.size == 0:
        raise ValueError("no values to take a reference point from")
    maximize = np.array([d == "maximize" for d in directions])
    best = np.where(maximize, values.max(axis=0), values.min(axis=0))
    worst = np.where(maximize, values.min(axis=0), values.max(axis=0))
    return Box(tuple(map(float, best)), tuple(map(float, worst)), tuple(directions))


def hypervolume(value_rows: Sequence[Sequence[float]], box: Box) -> float:
    """Fraction of ``box`` dominated by the points (0 = nothing, 1 = the ideal point was reached)."""
    values = np.asarray(value_rows, float)
    if values.size == 0:
        return 0.0
    return _unit_hypervolume(box.normalize(values.reshape(len(values), -1)))


def hypervolume_history(trials: Iterable[FrozenTrial], box: Box) -> tuple[list[int], list[float]]:
    """Hypervolume after each feasible COMPLETE trial: (trial numbers, hypervolumes), non-decreasing."""
    numbers: list[int] = []
    history: list[float] = []
    front = np.empty((0, len(box.ideal)))
    current = 0.0
    for trial in feasible_complete(trials):
        point = box.normalize(np.asarray([trial.values], float))
        dominated = len(front) and bool((front <= point).all(axis=1).any())
        if not dominated:
            keep = ~((point <= front).all(axis=1)) if len(front) else np.zeros(0, bool)
            front = np.vstack([front[keep], point])
            current = max(current, _unit_hypervolume(front))
        numbers.append(trial.number)
        history.append(current)
    return numbers, history


def _unit_hypervolume(points: np.ndarray) -> float:
    """Hypervolume of normalized points against the reference (1, …, 1)."""
    if points.shape[1] == 1:
        return float(1.0 - points.min())
    from optuna._hypervolume import compute_hypervolume  # Optuna 5's WFG / box decomposition

    return float(compute_hypervolume(points, np.ones(points.shape[1])))


def study_hypervolume_history(study: optuna.Study) -> tuple[Box, list[int], list[float]] | None:
    """The study's own box (best and worst observed feasible values) and its hypervolume history;
    ``None`` when no trial is COMPLETE and feasible."""
    trials = feasible_complete(study.get_trials(deepcopy=False))
    if not trials:
        return None
    box = reference_box([t.values for t in trials], direction_names(study))
    numbers, values = hypervolume_history(trials, box)
    return box, numbers, values
