"""Summaries of a jet file or folder: counts, constituent multiplicity and jet mass per class."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.table import Table

from sweep.data.loaders import JetData, load_jets
from sweep.data.schema import CLASS_NAMES
from sweep.errors import UserError

MASS_COLUMNS = ("j_mass", "j_mass_mmdt")
_HEADERS = {"multiplicity": "mult.", "j_mass": "mass", "j_mass_mmdt": "mmdt"}


@dataclass
class DatasetInfo:
    """The jets' per-class arrays plus their summary (see :meth:`summary`)."""

    path: Path
    data: JetData

    def by_class(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """``values`` split by class (classes without jets omitted)."""
        return {c: values[self.data.labels == i] for i, c in enumerate(self.data.class_names)
                if np.any(self.data.labels == i)}

    def masses(self) -> dict[str, np.ndarray]:
        """Mass columns present in the file; the groomed mass only when it is not all zero."""
        feats = self.data.features
        return {n: feats[n] for n in MASS_COLUMNS
                if n in feats and (n == "j_mass" or np.any(feats[n] != 0))}

    def summary(self) -> dict:
        """JSON-ready summary: n_jets, per_class (classes with jets), multiplicity and mass stats, files."""
        d = self.data
        per_class = {c: int(v.size) for c, v in self.by_class(d.labels).items()}
        out: dict = {"path": str(self.path), "format": d.format, "n_jets": d.n_jets, "per_class": per_class}
        if d.n_other:
            out["n_unlabeled"] = d.n_other
        if d.multiplicity is not None:
            source = "nonzero constituents" if d.format == "jets150p" else "j_multiplicity"
            out["multiplicity_source"] = source
            out["multiplicity"] = {c: _stats(v) for c, v in self.by_class(d.multiplicity).items()}
        for name, values in self.masses().items():
            out[name] = {c: _stats(v) for c, v in self.by_class(values).items()}
        out["files"] = [{"path": str(f), "n_jets": d.per_file.get(str(f), 0)} for f in d.files]
        return out


def _stats(v: np.ndarray) -> dict:
    return {"mean": round(float(np.mean(v)), 4), "median": round(float(np.median(v)), 4)}


def collect_info(path: Path | str) -> DatasetInfo:
    """Read labels, jet-level columns and multiplicities (no constituent features) of ``path``."""
    path = Path(path)
    data = load_jets(path, representation="none", multiplicity=True)
    return DatasetInfo(path, data)


def info_table(summary: dict) -> Table:
    """A rich table: one row per class with counts, multiplicity and mass statistics."""
    n_files = len(summary["files"])
    table = Table(title=f"{summary['path']}  ({summary['format']}, {summary['n_jets']} jets, "
                        f"{n_files} file(s))")
    table.add_column("class")
    table.add_column("jets", justify="right")
    stat_keys = [k for k in ("multiplicity", *MASS_COLUMNS) if k in summary]
    for key in stat_keys:
        label = _HEADERS.get(key, key)
        table.add_column(f"{label}\nmean", justify="right")
        table.add_column(f"{label}\nmedian", justify="right")
    for c, n in summary["per_class"].items():
        row = [c, str(n)]
        for key in stat_keys:
            s = summary[key].get(c)
            row += [f"{s['mean']:.1f}", f"{s['median']:.1f}"] if s else ["-", "-"]
        table.add_row(*row)
    return table


def write_plot(info: DatasetInfo, out: Path) -> Path:
    """Histograms of jet mass and multiplicity per class, written as ``.html`` or ``.png``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    out = Path(out)
    if out.suffix.lower() not in (".html", ".png"):
        raise UserError(f"{out}: plot file must end in .html or .png")
    panels = {**info.masses()}
    if info.data.multiplicity is not None:
        panels["multiplicity"] = info.data.multiplicity
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels))
    for col, (name, values) in enumerate(panels.items(), start=1):
        for c, v in info.by_class(values).items():
            fig.add_trace(go.Histogram(x=v, name=c, legendgroup=c, showlegend=col == 1, opacity=0.6,
                                       marker_color=_COLORS.get(c)), row=1, col=col)
    fig.update_layout(barmode="overlay", title=str(info.path), width=420 * len(panels), height=420)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".html":
            fig.write_html(out)  # self-contained: viewable offline
            return out
    except OSError as exc:
        raise UserError(f"{out}: cannot write the plot ({exc.strerror or exc})") from None
    try:
        fig.write_image(out)
    except Exception as exc:  # kaleido needs a Chrome binary; anything else is also a one-line error
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise UserError(f"{out}: PNG export failed ({first}); write .html instead") from None
    return out


_COLORS = dict(zip(CLASS_NAMES, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")))
