"""Vivado/Vitis report parsing (exact fixture values) and the synthesis estimators without the tools."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hls_workers.estimate import EstimatorUnavailable, get_estimator
from hls_workers.estimate.reports import ReportError, read_reports

#: Real Vivado HLS / Vivado 2020.1 reports (tests/fixtures/vivado_reports/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vivado_reports"


def _project(tmp_path: Path, with_tcl: bool) -> Path:
    """The fixture files in the layout hls4ml's parse_vivado_report expects."""
    report_dir = tmp_path / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(FIXTURES / "vivado_hls.app", tmp_path / "myproject_prj")
    for name in ("myproject_csynth.rpt", "myproject_csynth.xml"):
        shutil.copy(FIXTURES / name, report_dir)
    shutil.copy(FIXTURES / "vivado_synth.rpt", tmp_path)
    if with_tcl:
        (tmp_path / "project.tcl").write_text('set project_name "myproject"\nset backend "vivado"\n')
    return tmp_path


@pytest.mark.parametrize("with_tcl", [True, False])
def test_fixture_values_exact(tmp_path, with_tcl):
    reports = read_reports(_project(tmp_path, with_tcl))
    csynth, vsynth = reports["csynth"], reports["vsynth"]
    assert csynth.values() == {"lut": 2532, "dsp": 73, "ff": 7969, "bram_18k": 0, "latency_cycles": 10,
                               "latency_ns": 50.0, "ii": 8}
    assert {m.source for m in (csynth.lut, csynth.dsp, csynth.ff, csynth.latency_cycles, csynth.ii)} == {"csynth"}
    assert any("4.049" in note for note in csynth.notes)
    assert (vsynth.lut.value, vsynth.dsp.value, vsynth.ff.value, vsynth.bram_18k.value) == (1526, 66, 2428, 0)
    assert vsynth.lut.source == "vsynth" and vsynth.latency_cycles.source == "csynth"
    flat = vsynth.to_dict()
    assert flat["lut"] == 1526 and flat["lut_source"] == "vsynth"


def test_not_a_project(tmp_path):
    with pytest.raises(ReportError):
        read_reports(tmp_path)


@pytest.mark.parametrize("name", ["csynth", "vsynth"])
def test_synthesis_unavailable_gives_reason_not_numbers(name):
    if shutil.which("vitis_hls") or shutil.which("vivado_hls"):
        pytest.skip("HLS tools are installed here")
    estimator = get_estimator(name)
    ok, reason = estimator.available()
    assert not ok and "not found on PATH" in reason
    with pytest.raises(EstimatorUnavailable, match="not found"):
        estimator.estimate(None, {"backend": "Vitis"})
