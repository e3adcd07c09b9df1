"""The text C-synthesis report reader (hls_workers/estimate/csynth_text.py) and the fixture recorder
(bench/record_synthesis.py) on a real git repository holding an hls4ml-written project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hls_workers.estimate.csynth_text import ReportTextError, parse_csynth_rpt

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "tests" / "fixtures" / "vivado_reports"
sys.path.insert(0, str(ROOT / "bench"))


def test_text_report_gives_the_numbers_hls4ml_reads_from_the_xml():
    """The fixture's .rpt against hls4ml's parse of the .xml of the same run (tests/test_reports.py)."""
    from hls_workers.estimate.reports import csynth_estimate, parse_project_reports

    text = parse_csynth_rpt((REPORTS / "myproject_csynth.rpt").read_text())
    assert (text["tool"], text["tool_version"], text["part"]) == ("Vivado HLS", "2020.1", "xc7z020-clg400-1")
    assert (text["clock_target_ns"], text["clock_estimated_ns"], text["clock_uncertainty_ns"]) == (5.0, 4.049, 0.62)
    assert (text["latency_max"], text["interval_max"]) == (10, 8)
    assert text["total"] == {"bram_18k": 0, "dsp": 73, "ff": 7969, "lut": 2532, "uram": 0}
    dense = text["instances"][0]
    assert (dense["dsp"], dense["ff"], dense["lut"], dense["latency"], dense["interval"]) == (73, 7860, 2134, 7, 7)
    assert sum(row["ff"] for row in text["instances"]) == 7944  # the report's Instance row


def test_a_file_that_is_not_a_report_is_refused():
    with pytest.raises(ReportTextError, match="not a Vivado/Vitis HLS C-synthesis report"):
        parse_csynth_rpt("hello")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}).stdout.strip()


def test_recorder_writes_a_fixture_the_residual_bench_converts(project, tmp_path):
    """An hls4ml-written project with a csynth.rpt, committed to a repository, recorded and converted back."""
    import mlp_rows as mr
    import record_synthesis as rs

    repo = tmp_path / "repo"
    shutil.copytree(project, repo / "prj")
    report_dir = repo / "prj" / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(REPORTS / "myproject_csynth.rpt", report_dir)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "run")
    commit = _git(repo, "rev-parse", "HEAD")
    out = tmp_path / "fixtures"
    case = rs.record(str(repo / ".git"), commit, "prj", "someone/somewhere", "case", out=out)
    for name in ("w2", "b2", "w5", "b5", "w8", "b8"):
        assert (case / "weights" / f"{name}.txt").read_bytes() == (project / "firmware" / "weights" / f"{name}.txt").read_bytes()
    model = json.loads((case / "model.json").read_text())
    assert [layer["name"] for layer in model["layers"]] == ["fc1", "relu1", "fc2", "relu2", "output", "softmax"]
    assert model["backend"] == "Vivado" and model["clock_uncertainty"] == 0.124
    report = json.loads((case / "report.json").read_text())
    assert report["total"]["lut"] == 2532 and report["source"]["commit"] == commit
    sources = json.loads((case / "source.json").read_text())["files"]
    assert {entry["commit"] for entry in sources} == {commit} and len(sources) == 9  # 6 weights, config, model, report
    record = mr.load_record("case", root=out)
    hls_model = mr.convert_record(record, str(tmp_path / "converted"))
    assert [layer.name for layer in hls_model.get_layers() if layer.class_name == "Dense"] == ["fc1", "fc2", "output"]


REPORT_2018 = """
================================================================
== Vivado HLS Report for 'myproject'
================================================================
* Date:           Mon Jan  1 00:00:00 2019
* Version:        2018.3 (Build 2405991 on Thu Dec 06 23:56:15 MST 2018)
* Project:        myproject_prj
* Solution:       solution1
* Product family: virtex7
* Target device:  xc7vx485tffg1761-2
================================================================
== Performance Estimates
================================================================
+ Timing (ns):
    * Summary:
    +--------+-------+----------+------------+
    |  Clock | Target| Estimated| Uncertainty|
    +--------+-------+----------+------------+
    |ap_clk  |   5.00|     4.368|        0.62|
    +--------+-------+----------+------------+
+ Latency (clock cycles):
    * Summary:
    +-----+-----+-----+-----+----------+
    |  Latency  |  Interval | Pipeline |
    | min | max | min | max |   Type   |
    +-----+-----+-----+-----+----------+
    |   12|   12|    1|    1| function |
    +-----+-----+-----+-----+----------+
    + Detail:
        * Instance:
        +-----------+--------+-----+-----+-----+-----+----------+
        |  Instance | Module | min | max | min | max |   Type   |
        +-----------+--------+-----+-----+-----+-----+----------+
        |grp_dense_fu_92 |dense |    2|    2|    1|    1| function |
        +-----------+--------+-----+-----+-----+-----+----------+
================================================================
== Utilization Estimates
================================================================
* Summary:
+-----------------+---------+-------+--------+--------+
|       Name      | BRAM_18K| DSP48E|   FF   |   LUT  |
+-----------------+---------+-------+--------+--------+
|Instance         |        1|     47|    1276|    1950|
+-----------------+---------+-------+--------+--------+
|Total            |        1|     47|    1723|    1992|
+-----------------+---------+-------+--------+--------+
+ Detail:
    * Instance:
    +----------------+--------+---------+-------+-----+-----+
    |    Instance    | Module | BRAM_18K| DSP48E|  FF | LUT |
    +----------------+--------+---------+-------+-----+-----+
    |grp_dense_fu_92 |dense   |        0|     28|  799|  901|
    +----------------+--------+---------+-------+-----+-----+
    |Total           |        |        0|     28|  799|  901|
"""


def test_report_from_before_the_uram_column():
    """Vivado HLS 2018 reports have no URAM column and the older latency table: URAM reads as 0."""
    report = parse_csynth_rpt(REPORT_2018)
    assert report["total"] == {"bram_18k": 1, "dsp": 47, "ff": 1723, "lut": 1992, "uram": 0}
    assert (report["latency_max"], report["interval_max"], report["clock_target_ns"]) == (12, 1, 5.0)
    assert report["instances"] == [{"instance": "grp_dense_fu_92", "module": "dense", "bram_18k": 0, "dsp": 28,
                                    "ff": 799, "lut": 901, "uram": 0, "latency": 2, "interval": 1}]
