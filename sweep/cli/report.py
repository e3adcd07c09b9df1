"""``sweep report``: one self-contained HTML report of a study (and, with ``--png``, each figure as PNG)."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from sweep.atomic import write_atomically
from sweep.errors import UserError, check_can_write


def report(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
           study_name: str = typer.Option(..., "--study-name", help="study name"),
           output: Path = typer.Option(..., "--out", help="HTML file to write (self-contained, works offline)"),
           png: Optional[Path] = typer.Option(None, "--png", help="also write each figure as PNG into this folder "
                                                                  "(kaleido + Chrome/Chromium)")) -> None:
    """Write a study report: Pareto fronts, parallel coordinates, the gap over total × integer bits,
    QAT vs PTQ, parameter importances, hypervolume history and the Pareto trials with every number's source."""
    if output.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"{output}: the report is written as HTML; give a .html file")
    check_can_write(output)
    browser = None
    if png is not None:
        check_can_write(png, folder=True)
        from sweep.report_png import find_browser

        browser = find_browser()
    study = _load_study(storage, study_name)

    from sweep.report_data import pareto_table
    from sweep.report_figures import build_sections
    from sweep.report_html import render_report
    from sweep.storage import display_url

    sections = build_sections(study)
    page = render_report(study, display_url(storage), sections, pareto_table(study))
    staging = None
    try:
        pngs: list[Path] = []
        if png is not None and browser is not None:
            from sweep.report_png import write_pngs

            staging = Path(tempfile.mkdtemp(prefix=f".{png.name}.tmp-", dir=_existing_ancestor(png)))
            pngs = write_pngs(sections, staging, browser)
        if png is not None:
            png.mkdir(parents=True, exist_ok=True)
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(output, lambda tmp: tmp.write_text(page, encoding="utf-8"))
        if png is not None:
            pngs = [Path(shutil.move(str(p), png / p.name)) for p in pngs]
    except OSError as exc:
        raise UserError(f"{exc.filename or output}: cannot write the report ({exc.strerror or exc})") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    drawn = sum(s.figure is not None for s in sections)
    print(f"wrote {output}: {drawn} figures, {len(sections) - drawn} noted as not drawn"
          + (f"; {len(pngs)} PNG files in {png}" if png is not None else ""))


def _load_study(storage: str, study_name: str):
    """The study, with at least one COMPLETE trial (else a :class:`UserError` saying what it has)."""
    import optuna

    from sweep.storage import display_url, open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage, create=False))
    except KeyError:
        raise UserError(f"no study {study_name!r} in {display_url(storage)}") from None
    trials = study.get_trials(deepcopy=False)
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in trials):
        states = ", ".join(f"{n} {s}" for s, n in sorted(Counter(t.state.name for t in trials).items()))
        raise UserError(f"study {study_name!r} has no COMPLETE trial yet ({states or 'no trials'}); "
                        "nothing to report")
    return study


def _existing_ancestor(path: Path) -> Path:
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    return ancestor
