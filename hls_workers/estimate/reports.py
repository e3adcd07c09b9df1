"""Read Vivado/Vitis HLS C-synthesis reports and Vivado's ``vivado_synth.rpt`` into ResourceEstimates.

Parsing is hls4ml's own ``hls4ml.report.parse_vivado_report``. It expects an hls4ml project:
``<dir>/project.tcl`` (names the project), ``<dir>/<name>_prj/{vivado_hls,hls}.app``,
``<dir>/<name>_prj/solution1/syn/report/<name>_csynth.xml`` and ``<dir>/vivado_synth.rpt``. A folder
without ``project.tcl`` (reports copied out of a project) is read through a temporary staging folder.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from hls_workers.estimate.base import Metric, ResourceEstimate


class ReportError(ValueError):
    """The folder holds no readable HLS/Vivado report."""


def _number(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value).strip().split("(")[0].strip()
    try:
        return float(text)
    except ValueError:
        return None


def _project_name(project_dir: Path) -> str | None:
    for prj in sorted(project_dir.glob("*_prj")):
        if (prj / "vivado_hls.app").is_file() or (prj / "hls.app").is_file():
            return prj.name.removesuffix("_prj")
    return None


@contextlib.contextmanager
def _readable(project_dir: Path):
    """``project_dir`` itself, or a staging copy with a ``project.tcl`` when it has none or one from before
    hls4ml 0.6 (``set myproject "..."``, which hls4ml's parser does not read)."""
    tcl = project_dir / "project.tcl"
    if tcl.is_file() and "set project_name" in tcl.read_text(errors="replace"):
        yield project_dir
        return
    name = _project_name(project_dir)
    if name is None:
        raise ReportError(f"{project_dir}: no project.tcl and no <name>_prj/vivado_hls.app (not an hls4ml project)")
    with tempfile.TemporaryDirectory(prefix="hls_reports_") as tmp:
        staged = Path(tmp)
        for entry in project_dir.iterdir():
            if entry.name != "project.tcl":
                os.symlink(entry.resolve(), staged / entry.name)
        (staged / "project.tcl").write_text(f'set project_name "{name}"\nset backend "vivado"\n')
        yield staged


def parse_project_reports(project_dir: str | Path) -> dict:
    """hls4ml's report dict (``CSynthesisReport``, ``VivadoSynthReport``, …) of an hls4ml project folder."""
    from hls4ml.report import parse_vivado_report

    path = Path(project_dir)
    if not path.is_dir():
        raise ReportError(f"{path}: not a folder")
    with _readable(path) as readable, contextlib.redirect_stdout(io.StringIO()):
        report = parse_vivado_report(str(readable))
    if not report or not ({"CSynthesisReport", "VivadoSynthReport"} & set(report)):
        raise ReportError(f"{path}: no C-synthesis or Vivado synthesis report found")
    return report


def csynth_estimate(report: dict) -> ResourceEstimate:
    """The C-synthesis part of a report dict (source ``csynth``); latency is the worst case."""
    csynth = report.get("CSynthesisReport")
    if not csynth:
        raise ReportError("no C-synthesis report")
    clock = _number(csynth.get("TargetClockPeriod"))
    cycles = _number(csynth.get("WorstLatency"))
    notes = [f"estimated clock period {csynth.get('EstimatedClockPeriod')} ns (target {csynth.get('TargetClockPeriod')} ns)",
             f"latency best {csynth.get('BestLatency')} / worst {csynth.get('WorstLatency')} cycles"]
    return ResourceEstimate.from_values(
        "csynth", notes=notes,
        lut=_number(csynth.get("LUT")), dsp=_number(csynth.get("DSP")), ff=_number(csynth.get("FF")),
        bram_18k=_number(csynth.get("BRAM_18K")), latency_cycles=cycles,
        latency_ns=None if cycles is None or clock is None else cycles * clock,
        ii=_number(csynth.get("IntervalMax")),
    )


def vsynth_estimate(report: dict, csynth: ResourceEstimate | None = None) -> ResourceEstimate:
    """Post-synthesis utilization (source ``vsynth``); latency/II come from C synthesis when given.

    hls4ml stores Vivado's "Block RAM Tile" count (36 Kb tiles) under ``BRAM_18K``; it is doubled here.
    """
    vsynth = report.get("VivadoSynthReport")
    if not vsynth:
        raise ReportError("no Vivado synthesis report")
    tiles = _number(vsynth.get("BRAM_18K"))
    estimate = ResourceEstimate.from_values(
        "vsynth", notes=["bram_18k = 2 x Vivado 'Block RAM Tile' (36 Kb)"],
        lut=_number(vsynth.get("LUT")), dsp=_number(vsynth.get("DSP48E")), ff=_number(vsynth.get("FF")),
        bram_18k=None if tiles is None else 2 * tiles,
    )
    if csynth is not None:
        for name in ("latency_cycles", "latency_ns", "ii"):
            setattr(estimate, name, Metric(csynth.metric(name).value, "csynth"))
    return estimate


def read_reports(project_dir: str | Path) -> dict[str, ResourceEstimate]:
    """``{"csynth": …, "vsynth": …}`` for whichever reports the project holds."""
    report = parse_project_reports(project_dir)
    out: dict[str, ResourceEstimate] = {}
    if report.get("CSynthesisReport"):
        out["csynth"] = csynth_estimate(report)
    if report.get("VivadoSynthReport"):
        out["vsynth"] = vsynth_estimate(report, out.get("csynth"))
    return out
