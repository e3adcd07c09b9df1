"""The ``sweep report`` page: one self-contained HTML file (plotly.js embedded once, no network needed)
holding the report's sections and the table of Pareto trials with the source of every number."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import optuna

from sweep.report_data import ParetoTable
from sweep.report_figures import HEIGHT, Section

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto; max-width: 1300px;
       color: #1f2933; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }
.summary { color: #52606d; } .note { background: #f5f7fa; border-left: 3px solid #9aa5b1; padding: .5rem .8rem; }
nav ol { columns: 2; color: #52606d; } table { border-collapse: collapse; font-size: .85rem; }
th, td { border-bottom: 1px solid #e4e7eb; padding: .3rem .5rem; text-align: right; vertical-align: top; }
th { background: #f5f7fa; } td.text { text-align: left; min-width: 18rem; max-width: 28rem; }
.wide { overflow-x: auto; } .src { display: block; color: #7b8794; font-size: .75rem; white-space: nowrap; }
"""


def figure_div(section: Section) -> str:
    """A figure as an HTML fragment (no plotly.js: the page carries it once)."""
    assert section.figure is not None
    height = section.figure.layout.height or HEIGHT
    return section.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"fig-{section.key}",
                                  default_width="100%", default_height=f"{height}px",
                                  config={"displaylogo": False, "responsive": True})


def format_number(value: Any) -> str:
    """``12345.0`` → ``12,345``; ``0.75123`` → ``0.7512``; tiny values in exponent form."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return html.escape(str(value))
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1e}" if 0 < abs(value) < 1e-3 else f"{value:.4g}"


def pareto_table_html(table: ParetoTable) -> str:
    """The Pareto trials, one row each (``data-trial`` = trial number), every number with its source."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["trial", *table.columns, "design", "notes"])
    rows = []
    for row in table.rows:
        cells = [f"<td>{row['trial']}</td>"]
        for column in table.columns:
            if column in row["cells"]:
                value, source = row["cells"][column]
                cells.append(f'<td data-metric="{html.escape(column)}">{format_number(value)}'
                             f'<span class="src">{html.escape(source)}</span></td>')
            else:
                cells.append("<td></td>")
        cells.append(f'<td class="text">{html.escape(row["design"])}</td>')
        cells.append(f'<td class="text">{"<br>".join(html.escape(n) for n in row["notes"])}</td>')
        rows.append(f'<tr data-trial="{row["trial"]}">{"".join(cells)}</tr>')
    return (f'<div class="wide"><table id="pareto-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def study_summary(study: optuna.Study, storage_shown: str) -> str:
    """One line: storage (password masked by the caller), trials by state, objectives and directions."""
    states = Counter(t.state.name for t in study.get_trials(deepcopy=False))
    by_state = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    names = study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]
    objectives = ", ".join(f"{n} ({d.name.lower()})" for n, d in zip(names, study.directions))
    return (f"Storage {storage_shown}; {sum(states.values())} trials ({by_state}); objectives: {objectives}; "
            f"{len(study.best_trials)} Pareto trials.")


def render_report(study: optuna.Study, storage_shown: str, sections: list[Section], table: ParetoTable) -> str:
    """The whole page as one string."""
    from plotly.offline import get_plotlyjs

    title = f"hls-sweep report: {study.study_name}"
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a>{"" if s.figure else " (not drawn)"}</li>'
                  for s in sections) + '<li><a href="#pareto-trials">Pareto trials with sources</a></li>'
    body = []
    for section in sections:
        parts = [f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>']
        if section.figure is not None:
            parts.append(figure_div(section))
        if section.note:
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        body.append("".join(parts) + "</section>")
    sources = ("Each number names its source: <code>estimate:analytic</code> / <code>da4ml</code> / "
               "<code>csynth</code> … for hardware cost (the trial's <code>hardware_sources</code>), "
               "<code>emulation:numpy</code> or <code>emulation:hls4ml</code> for the bit-accurate emulation, "
               "<code>keras</code> for the trained Keras model, <code>keras vs emulation</code> for their "
               "comparison, <code>trained model</code> for sizes and BOPs.")
    body.append(f'<section id="pareto-trials"><h2>Pareto trials with sources ({len(table.rows)})</h2>'
                f'<p class="summary">{sources}</p>{pareto_table_html(table)}</section>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>\n'
            f'<script type="text/javascript">{get_plotlyjs()}</script>\n<style>{_STYLE}</style></head>\n<body>'
            f'<h1>{html.escape(title)}</h1><p class="summary">{html.escape(study_summary(study, storage_shown))}</p>'
            f'<nav><ol>{toc}</ol></nav>{"".join(body)}</body></html>\n')
