"""The figures of ``sweep report`` (plotly), each with a title and, when it cannot be drawn, the reason.

:func:`build_sections` turns a study into the ordered list of report sections; the data behind every
figure comes from :mod:`sweep.report_data` and :mod:`sweep.hypervolume`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import plotly.graph_objects as go
from optuna.distributions import CategoricalDistribution
from optuna.trial import FrozenTrial
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from sweep.hypervolume import Box, study_hypervolume_history
from sweep.report import design_summary
from sweep.report_data import (BIT_KINDS, GapCurves, GapGrid, Importances, complete_trials, gap_grid, gap_metric,
                               objective_names, param_importances, qat_ptq_curves)

HEIGHT = 480
OTHER_COLOR = "#9aa5b1"
PARETO_COLOR = "#d62728"


@dataclass
class Section:
    """One part of the report: a figure, or a note saying why the figure is absent."""

    key: str  # unique slug: the figure's element id and PNG file name
    title: str
    figure: go.Figure | None = None
    note: str | None = None


def build_sections(study: optuna.Study) -> list[Section]:
    """Every section of the report of ``study`` (which has at least one COMPLETE trial), in order."""
    trials = complete_trials(study)
    names = objective_names(study)
    sections = pareto_sections(study, trials, names)
    sections.append(Section("parallel-coordinates", "Parameters and objectives (parallel coordinates)",
                            parallel_coordinates_figure(study, trials, names)))
    metric = gap_metric(trials)
    grids = {kind: gap_grid(trials, kind, metric) if metric else None for kind in BIT_KINDS}
    top = max([1e-9, *(m for g in grids.values() if g for row in g.mean for m in row if m is not None)])
    for kind, grid in grids.items():  # one colour scale for both: weights and activations compare at a glance
        key, title = f"gap-heatmap-{kind}", f"Gap over total × integer bits: {kind}"
        if grid is None:
            why = ("the trials record no Keras-vs-emulation gap metric (accuracy_gap / mae)" if not metric
                   else f"no COMPLETE trial records {kind} bits in its design")
            sections.append(Section(key, title, note=f"Not drawn: {why}."))
        else:
            sections.append(Section(key, title, gap_heatmap_figure(grid, top)))
    sections.append(qat_ptq_section(trials, metric))
    sections.append(importance_section(param_importances(study, trials)))
    sections.append(hypervolume_section(study, names))
    return sections


def _hover(trials: list[FrozenTrial]) -> list[list[Any]]:
    return [[t.number, design_summary(t.user_attrs.get("design"))] for t in trials]


def pareto_sections(study: optuna.Study, trials: list[FrozenTrial], names: list[str]) -> list[Section]:
    """One scatter per pair of objectives: every trial, the study's Pareto trials highlighted, and the
    front of that pair as a step line."""
    if len(names) < 2:
        return [Section("pareto", "Pareto front", note="Not drawn: the study has a single objective.")]
    best = {t.number for t in study.best_trials}
    sections = []
    for i, j in itertools.combinations(range(len(names)), 2):
        sections.append(Section(f"pareto-{names[i]}-{names[j]}", f"Pareto front: {names[i]} vs {names[j]}",
                                pareto_pair_figure(study, trials, best, i, j, names)))
    return sections


def pareto_pair_figure(study: optuna.Study, trials: list[FrozenTrial], best: set[int], i: int, j: int,
                       names: list[str]) -> go.Figure:
    directions = [d.name.lower() for d in study.directions]
    figure = go.Figure()
    hover = ("trial %{customdata[0]}<br>%{customdata[1]}<br>" + f"{names[i]} = %{{x:.4g}}<br>"
             + f"{names[j]} = %{{y:.4g}}<extra></extra>")
    for label, color, size, members in (
            ("other trials", OTHER_COLOR, 7, [t for t in trials if t.number not in best]),
            ("Pareto trials (all objectives)", PARETO_COLOR, 11, [t for t in trials if t.number in best])):
        if members:
            figure.add_trace(go.Scatter(
                x=[t.values[i] for t in members], y=[t.values[j] for t in members], mode="markers", name=label,
                marker={"color": color, "size": size, "line": {"width": 1, "color": "white"}},
                customdata=_hover(members), hovertemplate=hover))
    front = pair_front([(t.values[i], t.values[j]) for t in trials], directions[i], directions[j])
    figure.add_trace(go.Scatter(x=[p[0] for p in front], y=[p[1] for p in front], mode="lines",
                                line={"shape": "hv" if directions[i] == "minimize" else "vh", "color": PARETO_COLOR,
                                      "width": 1, "dash": "dot"},
                                name="front of this pair", hoverinfo="skip"))
    figure.update_layout(height=HEIGHT, title=f"{names[i]} ({directions[i]}) vs {names[j]} ({directions[j]})",
                         xaxis_title=f"{names[i]} ({_arrow(directions[i])})",
                         yaxis_title=f"{names[j]} ({_arrow(directions[j])})", legend={"orientation": "h", "y": -0.2})
    return figure


def _arrow(direction: str) -> str:
    return "lower is better" if direction == "minimize" else "higher is better"


def pair_front(points: list[tuple[float, float]], dir_x: str, dir_y: str) -> list[tuple[float, float]]:
    """The non-dominated points of a 2-objective set, sorted by x."""
    sx = 1.0 if dir_x == "minimize" else -1.0
    sy = 1.0 if dir_y == "minimize" else -1.0
    front: list[tuple[float, float]] = []
    best_y = float("inf")
    for x, y in sorted(set(points), key=lambda p: (sx * p[0], sy * p[1])):
        if sy * y < best_y:
            front.append((x, y))
            best_y = sy * y
    return sorted(front)


def parallel_coordinates_figure(study: optuna.Study, trials: list[FrozenTrial], names: list[str]) -> go.Figure:
    """One line per COMPLETE trial through the parameters every trial has (those that vary) and the
    objectives; coloured by the first objective."""
    common = set.intersection(*(set(t.params) for t in trials)) if trials else set()
    params = [p for p in sorted(common) if len({repr(t.params[p]) for t in trials}) > 1]
    dimensions = []
    for name in params:
        distribution = trials[-1].distributions.get(name)
        values = [t.params[name] for t in trials]
        if isinstance(distribution, CategoricalDistribution) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            choices = list(distribution.choices) if isinstance(distribution, CategoricalDistribution) \
                else sorted(set(map(str, values)))
            index = {repr(c): k for k, c in enumerate(choices)}
            dimensions.append({"label": name, "values": [index.get(repr(v), index.get(repr(str(v)), 0)) for v in values],
                               "tickvals": list(range(len(choices))), "ticktext": [str(c) for c in choices]})
        else:
            dimensions.append({"label": name, "values": values})
    directions = [d.name.lower() for d in study.directions]
    for index, name in enumerate(names):
        dimensions.append({"label": f"{name} ({'min' if directions[index] == 'minimize' else 'max'})",
                           "values": [t.values[index] for t in trials]})
    colors = [t.values[0] for t in trials]
    figure = go.Figure(go.Parcoords(
        dimensions=dimensions,
        line={"color": colors, "colorscale": "Viridis", "showscale": True,
              "reversescale": directions[0] == "minimize", "colorbar": {"title": {"text": names[0]}}}))
    figure.update_layout(height=HEIGHT, title=f"{len(trials)} COMPLETE trials: parameters → objectives",
                         margin={"l": 60, "r": 60, "t": 100})
    return figure


def gap_heatmap_figure(grid: GapGrid, zmax: float | None = None) -> go.Figure:
    """Mean gap per (total bits, integer bits) cell, the count and the minimum in each cell; the colour
    scale runs from 0 to ``zmax`` (default: this grid's largest mean)."""
    text = [[("" if m is None else f"{m:.3g}<br>n={n}") for m, n in zip(row_m, row_n)]
            for row_m, row_n in zip(grid.mean, grid.count)]
    custom = [[[n, lo if lo is not None else float("nan")] for n, lo in zip(row_n, row_lo)]
              for row_n, row_lo in zip(grid.count, grid.minimum)]
    figure = go.Figure(go.Heatmap(
        x=[str(b) for b in grid.total_bits], y=[str(b) for b in grid.int_bits], z=grid.mean, text=text,
        texttemplate="%{text}", customdata=custom, colorscale="YlOrRd", zmin=0,
        zmax=zmax or max([1e-9, *(m for row in grid.mean for m in row if m is not None)]),
        colorbar={"title": {"text": f"mean {grid.metric}"}}, hoverongaps=False,
        hovertemplate=(f"total bits %{{x}}, integer bits %{{y}}<br>mean {grid.metric} %{{z:.4g}}"
                       "<br>min %{customdata[1]:.4g}<br>%{customdata[0]} trials<extra></extra>")))
    bits_key, int_key = BIT_KINDS[grid.kind]
    narrowest = " (per-layer bits: each trial's narrowest layer)" if grid.per_layer else ""
    figure.update_layout(
        height=HEIGHT, title=f"Mean {grid.metric} of COMPLETE trials by {grid.kind} bits{narrowest}",
        xaxis={"title": {"text": f"total bits ({bits_key})"}, "type": "category"},
        yaxis={"title": {"text": f"integer bits ({int_key})"}, "type": "category"})
    return figure


def qat_ptq_section(trials: list[FrozenTrial], metric: str | None) -> Section:
    key, title = "qat-vs-ptq", "QAT vs PTQ gap over total bits, by model size"
    if metric is None:
        return Section(key, title, note="Not drawn: the trials record no Keras-vs-emulation gap metric.")
    curves = {kind: qat_ptq_curves(trials, kind, metric) for kind in BIT_KINDS}
    reason = curves["weights"].reason or curves["activations"].reason
    if reason:
        return Section(key, title, note=f"Not drawn: {reason}.")
    return Section(key, title, qat_ptq_figure(curves))


def qat_ptq_figure(curves: dict[str, GapCurves]) -> go.Figure:
    """Mean gap per total bits: QAT solid, PTQ dashed, one colour per model size; weights | activations."""
    kinds = list(curves)
    figure = make_subplots(rows=1, cols=len(kinds), subplot_titles=[f"{k} bits" for k in kinds], shared_yaxes=True)
    sizes = list(dict.fromkeys(size for c in curves.values() for size, _ in c.curves))
    for col, kind in enumerate(kinds, start=1):
        for (size, mode), points in curves[kind].curves.items():
            color = qualitative.D3[sizes.index(size) % len(qualitative.D3)]
            figure.add_trace(go.Scatter(
                x=[p[0] for p in points], y=[p[1] for p in points], customdata=[p[2] for p in points],
                mode="lines+markers", name=f"{size}, {mode.upper()}", legendgroup=f"{size}{mode}",
                showlegend=col == 1, line={"color": color, "dash": "solid" if mode == "qat" else "dash"},
                hovertemplate=(f"{size} {mode.upper()}<br>%{{x}} bits: mean {curves[kind].metric} %{{y:.4g}}"
                               "<br>%{customdata} trials<extra></extra>")), row=1, col=col)
        figure.update_xaxes(title_text=f"total bits ({BIT_KINDS[kind][0]})", dtick=1, row=1, col=col)
    metric = next(iter(curves.values())).metric
    figure.update_yaxes(title_text=f"mean {metric}", row=1, col=1)
    figure.update_layout(height=HEIGHT, title=f"{metric}: QAT (solid) vs PTQ (dashed), one colour per model size")
    return figure


def importance_section(importances: Importances) -> Section:
    key, title = "param-importances", "Parameter importances per objective"
    if importances.reason:
        return Section(key, title, note=f"Not drawn: {importances.reason}.")
    return Section(key, title, importance_figure(importances))


def importance_figure(importances: Importances) -> go.Figure:
    """Horizontal bars: parameters (most important on top), one bar per objective."""
    params = sorted({p for v in importances.by_objective.values() for p in v},
                    key=lambda p: max(v.get(p, 0.0) for v in importances.by_objective.values()))
    figure = go.Figure()
    for name, values in importances.by_objective.items():
        figure.add_trace(go.Bar(y=params, x=[values.get(p, 0.0) for p in params], orientation="h", name=name,
                                hovertemplate=f"{name}: %{{y}} %{{x:.3f}}<extra></extra>"))
    figure.update_layout(height=max(HEIGHT, 120 + 28 * len(params) * max(1, len(importances.by_objective)) // 2),
                         barmode="group", title="Importance of each parameter for each objective (Optuna, normalized)",
                         xaxis_title="importance (sums to 1 per objective)")
    return figure


def hypervolume_section(study: optuna.Study, names: list[str]) -> Section:
    key, title = "hypervolume", "Hypervolume over trials"
    if len(names) < 2:
        return Section(key, title, note="Not drawn: the study has a single objective.")
    history = study_hypervolume_history(study)
    if history is None:
        return Section(key, title, note="Not drawn: no COMPLETE trial meets the study's constraints.")
    box, numbers, values = history
    return Section(key, title, hypervolume_figure(box, numbers, values, names), note=reference_note(box, names))


def reference_note(box: Box, names: list[str]) -> str:
    worst = ", ".join(f"{n} {v:.4g}" for n, v in zip(names, box.reference))
    ideal = ", ".join(f"{n} {v:.4g}" for n, v in zip(names, box.ideal))
    return (f"Each objective is scaled to [0, 1] between the best and the worst observed value; the hypervolume "
            f"is the fraction of that box the trials dominate. Reference point (worst observed): {worst}; "
            f"ideal point (best observed): {ideal}.")


def hypervolume_figure(box: Box, numbers: list[int], values: list[float], names: list[str]) -> go.Figure:
    figure = go.Figure(go.Scatter(x=numbers, y=values, mode="lines+markers", line={"shape": "hv"},
                                  name="hypervolume",
                                  hovertemplate="after trial %{x}: %{y:.4f}<extra></extra>"))
    figure.update_layout(height=HEIGHT, title=f"Hypervolume of {', '.join(names)} (normalized to the observed box)",
                         xaxis_title="trial number", yaxis={"title": {"text": "hypervolume"},
                                                            "range": [0, max(1e-9, float(np.max(values)) * 1.05)]})
    return figure
