"""Plots of a study as standalone plotly HTML: the Pareto front and the objectives' history."""

from __future__ import annotations

from pathlib import Path

import optuna

from sweep.errors import UserError


def pareto_figure(study: optuna.Study):
    """Pareto front over the study's objectives (2 or 3 of them), hover text = trial number."""
    names = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise UserError(f"study {study.study_name!r} has no COMPLETE trial to plot yet")
    if len(names) == 1:
        return optuna.visualization.plot_optimization_history(study, target_name=names[0])
    shown = names[:3]
    targets = (lambda t: tuple(t.values[:3])) if len(names) > 3 else None
    return optuna.visualization.plot_pareto_front(study, target_names=shown, targets=targets)


def write_pareto_html(study: optuna.Study, path: Path) -> Path:
    """Write the Pareto-front figure as a self-contained HTML file."""
    figure = pareto_figure(study)
    figure.update_layout(title=f"Pareto front of {study.study_name!r} ({len(study.trials)} trials)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(str(path), include_plotlyjs=True)
    return path
