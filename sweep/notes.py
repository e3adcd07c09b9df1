"""Trial notes for optuna-dashboard: what a finished trial was and what it gave, as markdown.

:func:`trial_note` is a pure function of a finished trial (the design in one line, objective values and
metrics with the source of each hardware number, why it failed or was pruned); :func:`save_trial_note` is
the Optuna callback that stores it as the trial's optuna-dashboard note. Saving a note never stops a study.
"""

from __future__ import annotations

import logging
import math
import re
from types import SimpleNamespace
from typing import Any, Sequence

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweep.report import design_summary

logger = logging.getLogger(__name__)

#: Trial states that get a note (the ones an Optuna callback sees).
NOTED_STATES = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)

#: Optuna's trial system attribute prefix of ``trial.set_constraint`` values (> 0 means violated).
_CONSTRAINT_PREFIX = "constraints:"

#: Characters that would start markup inside a line of a note (GFM leaves intraword ``_`` alone).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<|])")


def format_value(value: Any) -> str:
    """A metric value as a note shows it: ``1,234`` for counts and large numbers, 4 significant digits
    otherwise (``0.7512``, ``1.25e-05``)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def _escape(text: str) -> str:
    """Plain text (a reason, a design) safe inside markdown and table cells, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _source(metric: str, sources: dict[str, Any]) -> str:
    source = sources.get(metric)
    return _escape(source) if source else ""


def trial_note(trial: FrozenTrial, objective_names: Sequence[str] | None = None) -> str:
    """The markdown note of a finished trial.

    ``objective_names`` are the study's metric names (``study.metric_names``); without them objectives are
    called ``objective 0``, ``objective 1``, …. Reads the user attributes hls-sweep records on a trial
    (``design``, ``metrics``, ``hardware_sources``, ``hardware_notes``, ``emulator_used``,
    ``fallback_reason``, ``fail_reason``, ``prune_reason``, ``pretrain_estimate``) and the trial's
    Optuna constraint values; a missing one is left out.
    """
    attrs = trial.user_attrs
    sources: dict[str, Any] = attrs.get("hardware_sources") or {}
    metrics: dict[str, Any] = attrs.get("metrics") or {}
    lines = [f"### Trial {trial.number}: {trial.state.name}", ""]

    design = design_summary(attrs.get("design"))
    lines += [f"**design** `{design}`" if design else "**design** not sampled", ""]

    if trial.state == TrialState.FAIL:
        lines += [f"**failed:** {_escape(attrs.get('fail_reason') or 'no reason recorded')}", ""]
    elif trial.state == TrialState.PRUNED:
        lines += [f"**pruned:** {_escape(attrs.get('prune_reason') or 'no reason recorded')}", ""]
        estimate = attrs.get("pretrain_estimate") or {}
        if estimate:
            lines += ["pre-training estimate: " + " · ".join(
                f"{_escape(k)} {format_value(v)}" for k, v in estimate.items()), ""]

    if trial.values is not None:
        names = list(objective_names or []) or [f"objective {i}" for i in range(len(trial.values))]
        lines += ["| objective | value | source |", "|---|---:|---|"]
        lines += [f"| {_escape(name)} | {format_value(value)} | {_source(name, sources)} |"
                  for name, value in zip(names, trial.values)]
        lines.append("")
    else:
        names = []

    violated = {key[len(_CONSTRAINT_PREFIX):]: value for key, value in trial.system_attrs.items()
                if key.startswith(_CONSTRAINT_PREFIX) and isinstance(value, (int, float)) and value > 0}
    if violated:
        lines += ["**infeasible:** " + " · ".join(f"{_escape(k)} exceeded by {format_value(v)}"
                                                  for k, v in sorted(violated.items())), ""]

    rest = {k: v for k, v in metrics.items() if k not in names}
    if rest:
        lines += ["| metric | value | source |", "|---|---:|---|"]
        lines += [f"| {_escape(k)} | {format_value(v)} | {_source(k, sources)} |" for k, v in rest.items()]
        lines.append("")

    emulator = attrs.get("emulator_used")
    if emulator:
        fallback = attrs.get("fallback_reason")
        lines += [f"emulator: {_escape(emulator)}" + (f" (numpy emulator not used: {_escape(fallback)})"
                                                     if fallback else ""), ""]
    for note in attrs.get("hardware_notes") or []:
        lines.append(f"- {_escape(note)}")
    return "\n".join(lines).rstrip() + "\n"


def save_trial_note(study: optuna.Study, trial: FrozenTrial) -> None:
    """Optuna callback: store :func:`trial_note` as the trial's optuna-dashboard note.

    ``optuna_dashboard.save_note`` takes a study or a live ``optuna.Trial``; a callback gets a
    ``FrozenTrial``, so the note is saved through a reference carrying what ``save_note`` reads from a
    trial (its study, storage and trial id) — creating a live ``Trial`` would call the sampler's
    ``before_trial`` again. A failure is logged and the study goes on.
    """
    if trial.state not in NOTED_STATES:
        return
    try:
        from optuna_dashboard import save_note

        save_note(trial_ref(study, trial), trial_note(trial, study.metric_names))
    except Exception as exc:  # a note is a convenience: never let it stop the study
        logger.warning("trial %d: note for optuna-dashboard not saved: %s: %s",
                       trial.number, type(exc).__name__, exc)


def trial_ref(study: optuna.Study, trial: FrozenTrial) -> Any:
    """What optuna-dashboard's ``save_note``/``get_note`` read from a trial (0.21.0: ``.study``,
    ``.storage``, ``._trial_id``), for a finished trial known only as a ``FrozenTrial``."""
    return SimpleNamespace(study=study, storage=study._storage, _trial_id=trial._trial_id)
