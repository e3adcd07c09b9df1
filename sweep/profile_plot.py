"""Per-trial figures (plotly): the numeric profile against the fixed-point types, ROC curves (classifiers)
and the energy response (regression)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sweep.metrics import one_vs_rest_auc, resolution

#: Points kept per ROC curve (the file stays small whatever the number of samples).
ROC_POINTS = 200
#: Log-spaced true-value bins of the regression response figure (fewer when a bin would hold < 10 samples).
RESPONSE_BINS = 12


def _magnitude(stats: dict[str, Any]) -> float:
    return max(abs(stats.get("min", 0.0)), abs(stats.get("max", 0.0)))


def _rows(profile: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(row label, stats) for every weight variable and every layer output, in data-flow order."""
    rows = []
    for layer in profile:
        for weights in layer.get("weights", []):
            rows.append((f"{layer['layer']} · {weights['name']}", weights))
        if layer.get("activation"):
            rows.append((f"{layer['layer']} · output", layer["activation"]))
    return rows


def profile_figure(profile: list[dict[str, Any]], title: str = "Value ranges vs fixed-point types"):
    """Horizontal bars per layer on a log2 |value| axis: shaded = what the type represents (LSB to its
    largest magnitude), solid = the values seen (smallest nonzero to largest magnitude); red ✕ where values
    overflow the type, orange ◆ where nonzero values fall under its LSB."""
    import plotly.graph_objects as go

    rows = _rows(profile)
    labels = [label for label, _ in rows][::-1]  # first layer on top
    stats = [s for _, s in rows][::-1]
    tiny = min([s["lsb"] for s in stats if s.get("lsb")] + [s["min_abs_nonzero"] for s in stats
                                                            if s.get("min_abs_nonzero")] + [2.0 ** -16])
    figure = go.Figure()
    typed = [(label, s) for label, s in zip(labels, stats) if s.get("lsb")]
    figure.add_trace(go.Bar(
        y=[label for label, _ in typed], base=[s["lsb"] for _, s in typed],
        x=[max(abs(s["type_min"]), abs(s["type_max"])) - s["lsb"] for _, s in typed],
        orientation="h", name="representable (LSB … max)", marker_color="rgba(31,119,180,0.25)",
        customdata=[s["type"] for _, s in typed], hovertemplate="%{y}<br>%{customdata}<extra></extra>"))
    seen = [(label, s) for label, s in zip(labels, stats) if _magnitude(s) > 0]
    low = [s.get("min_abs_nonzero") or _magnitude(s) for _, s in seen]
    figure.add_trace(go.Bar(
        y=[label for label, _ in seen], base=low, x=[_magnitude(s) - lo for (_, s), lo in zip(seen, low)],
        orientation="h", name="values (smallest nonzero … largest |value|)", marker_color="rgba(44,44,44,0.8)",
        width=0.35, customdata=[[s["min"], s["max"]] for _, s in seen],
        hovertemplate="%{y}<br>min %{customdata[0]:.4g}, max %{customdata[1]:.4g}<extra></extra>"))
    over = [(label, s) for label, s in seen if s.get("overflow_fraction")]
    figure.add_trace(go.Scatter(
        y=[label for label, _ in over], x=[_magnitude(s) for _, s in over], mode="markers",
        marker={"symbol": "x", "size": 12, "color": "crimson"}, name="overflow (values beyond the type)",
        customdata=[100 * s["overflow_fraction"] for _, s in over],
        hovertemplate="%{y}<br>%{customdata:.3g}% of values overflow<extra></extra>"))
    under = [(label, s) for label, s in seen if s.get("below_lsb_fraction")]
    figure.add_trace(go.Scatter(
        y=[label for label, _ in under], x=[s["min_abs_nonzero"] for _, s in under], mode="markers",
        marker={"symbol": "diamond", "size": 10, "color": "darkorange"}, name="lost resolution (under the LSB)",
        customdata=[100 * s["below_lsb_fraction"] for _, s in under],
        hovertemplate="%{y}<br>%{customdata:.3g}% of nonzero values under the LSB<extra></extra>"))
    high = max([_magnitude(s) for s in stats] + [max(abs(s["type_min"]), abs(s["type_max"])) for _, s in typed] + [1.0])
    powers = list(range(math.floor(math.log2(tiny)), math.ceil(math.log2(high)) + 1))
    step = max(1, len(powers) // 16)
    figure.update_layout(
        title=title, barmode="overlay", height=max(320, 28 * len(labels) + 160),
        xaxis={"type": "log", "title": "|value| (log2)", "tickvals": [2.0 ** p for p in powers[::step]],
               "ticktext": [f"2^{p}" for p in powers[::step]]},
        yaxis={"categoryorder": "array", "categoryarray": labels}, legend={"orientation": "h", "y": -0.2})
    return figure


def roc_curve(scores: np.ndarray, positive: np.ndarray, points: int = ROC_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) at every distinct threshold, thinned to ``points``."""
    positive = positive.astype(bool)
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # last index of each run of equal scores
    tpr = np.r_[0.0, np.cumsum(positive)[last] / max(positive.sum(), 1)]
    fpr = np.r_[0.0, np.cumsum(~positive)[last] / max((~positive).sum(), 1)]
    if len(fpr) > points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr, tpr


def roc_figure(y_true: np.ndarray, y_keras: np.ndarray, y_hls: np.ndarray, class_names: tuple[str, ...],
               title: str = "ROC, one class vs the rest: Keras (dashed) vs emulated (solid)"):
    """One-vs-rest ROC per class, Keras and the emulated firmware on the same samples, AUC in the legend."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    truth = y_true.argmax(axis=1)
    figure = go.Figure()
    for index, name in enumerate(class_names):
        color = qualitative.Plotly[index % len(qualitative.Plotly)]
        for label, outputs, dash in (("Keras", y_keras, "dash"), ("emulated", y_hls, "solid")):
            fpr, tpr = roc_curve(outputs[:, index], truth == index)
            auc = one_vs_rest_auc(outputs[:, index], truth == index)
            figure.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", line={"color": color, "dash": dash},
                                        name=f"{name} {label} (AUC {auc:.3f})", legendgroup=name))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "grey", "dash": "dot"},
                                name="chance", hoverinfo="skip"))
    figure.update_layout(title=title, xaxis={"title": "false positive rate", "range": [0, 1]},
                         yaxis={"title": "true positive rate", "range": [0, 1.01]}, width=760, height=620)
    return figure


def response_bins(true: np.ndarray, pred: np.ndarray, n_bins: int = RESPONSE_BINS) -> list[dict[str, float]]:
    """Per log-spaced bin of ``true`` (> 0): its centre, sample count, and the median and interquartile width
    of (pred − true) / true (:func:`sweep.metrics.resolution`). Bins with fewer than 10 samples are merged
    away by using fewer bins."""
    true, pred = np.asarray(true, np.float64).ravel(), np.asarray(pred, np.float64).ravel()
    keep = true > 0
    true, pred = true[keep], pred[keep]
    n_bins = max(1, min(n_bins, true.size // 10))
    if true.size == 0:
        return []
    edges = np.geomspace(true.min(), true.max() * (1 + 1e-9), n_bins + 1) if true.min() < true.max() else \
        np.array([true.min(), true.min() * (1 + 1e-9)])
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (true >= lo) & (true < hi)
        if not inside.any():
            continue
        median, iqr = resolution(pred[inside], true[inside])
        rows.append({"center": float(np.sqrt(lo * hi)), "n": int(inside.sum()), "median": median, "iqr": iqr})
    return rows


def response_figure(true: np.ndarray, y_keras: np.ndarray, y_hls: np.ndarray, unit: str = "GeV",
                    title: str = "Response (pred − true)/true vs true: Keras (dashed) vs emulated (solid)"):
    """Median (lines) and interquartile band (error bars: q25…q75 width) of the relative error per
    log-spaced bin of the true value, for Keras and the emulated firmware on the same samples."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for label, pred, dash, color in (("Keras", y_keras, "dash", "#636EFA"), ("emulated", y_hls, "solid", "#EF553B")):
        rows = response_bins(true, pred)
        figure.add_trace(go.Scatter(
            x=[r["center"] for r in rows], y=[r["median"] for r in rows], mode="lines+markers",
            line={"dash": dash, "color": color}, name=f"{label} median",
            error_y={"type": "data", "array": [r["iqr"] / 2 for r in rows], "visible": True},
            customdata=[[r["iqr"], r["n"]] for r in rows],
            hovertemplate="true %{x:.3g}<br>median %{y:.4f}<br>IQR %{customdata[0]:.4f}<br>n %{customdata[1]}"))
    figure.add_hline(y=0.0, line={"color": "grey", "dash": "dot"})
    figure.update_layout(title=title, xaxis={"title": f"true ({unit})", "type": "log"},
                         yaxis={"title": "(pred − true) / true; bars: ± IQR/2"}, width=760, height=520)
    return figure
