"""``sweep estimate --hls-config FILE`` / ``--hls-project DIR``: a user's own hls4ml config, per layer.

Real hls4ml conversions of one small saved model (module scope). The checks compare estimates between
configs (a wider type must cost more), never against recorded numbers. User mistakes run through
``sweep.cli.main`` as a user would: one ``error:`` line, exit 2, nothing written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tutorial_rows as tr
from sweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "tests" / "fixtures" / "tutorial_syntheses"
REPORTS = ROOT / "tests" / "fixtures" / "vivado_reports"
KEYS = ("lut", "dsp", "ff", "bram", "latency_cycles", "latency_ns", "ii")
BASE_MODEL = {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"}


def _estimate(capsys, *args) -> dict:
    rc = main(["estimate", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return json.loads(captured.out)


def _config(tmp_path: Path, layers: dict | None = None, name: str = "c.yml", **model) -> Path:
    doc = {"Model": {**BASE_MODEL, **model}, "LayerName": layers or {}}
    path = tmp_path / name
    path.write_text(json.dumps(doc) if name.endswith(".json") else yaml.safe_dump(doc))
    return path


def _with_config(capsys, small, tmp_path, layers=None, **model) -> dict:
    return _estimate(capsys, small, "--part", "xcu250", "--hls-config", _config(tmp_path, layers, **model))


# ---------------------------------------------------------------- per-layer settings reach the estimate


def test_wider_accum_and_result_on_one_layer_cost_more_lut_and_ff(capsys, small, tmp_path):
    narrow = _with_config(capsys, small, tmp_path, {"fc2": {"Precision": {"accum": "ap_fixed<16,6>",
                                                                         "result": "ap_fixed<16,6>"}}})
    wide = _with_config(capsys, small, tmp_path, {"fc2": {"Precision": {"accum": "ap_fixed<32,12>",
                                                                       "result": "ap_fixed<32,12>"}}})
    assert wide["lut"] > narrow["lut"] and wide["ff"] > narrow["ff"]


def test_wider_weight_on_one_layer_costs_more_dsp(capsys, small, tmp_path):
    """8-bit weights multiply in LUTs; 18-bit weights (as in one public design) take DSPs."""
    narrow = _with_config(capsys, small, tmp_path, {"fc1": {"Precision": {"weight": "ap_fixed<8,2>"}}})
    wide = _with_config(capsys, small, tmp_path, {"fc1": {"Precision": {"weight": "ap_fixed<18,4>"}}})
    assert wide["dsp"] > narrow["dsp"]
    assert wide["lut"] + wide["dsp"] != narrow["lut"] + narrow["dsp"]


def test_per_layer_reuse_factor_raises_ii_and_latency(capsys, small, tmp_path):
    one = _with_config(capsys, small, tmp_path)
    four = _with_config(capsys, small, tmp_path, {"fc1": {"ReuseFactor": 4, "Strategy": "Resource"}})
    assert four["ii"] > one["ii"] and four["latency_cycles"] > one["latency_cycles"]
    assert four["dsp"] < one["dsp"]


def test_layer_type_settings_reach_layers_the_file_does_not_name(capsys, small, tmp_path):
    """LayerType is not shadowed by the name-granularity defaults (only their placeholders are dropped)."""
    path = tmp_path / "t.yml"
    path.write_text(yaml.safe_dump({"Model": BASE_MODEL, "LayerType": {"Dense": {"ReuseFactor": 4}}}))
    typed = _estimate(capsys, small, "--part", "xcu250", "--hls-config", path)
    assert typed["ii"] > _with_config(capsys, small, tmp_path)["ii"]


def test_auto_written_in_the_file_stays_auto(capsys, small, tmp_path):
    """hls4ml infers an ``auto`` accumulator/result wide enough not to overflow: more LUT than 16 bits."""
    fixed = _with_config(capsys, small, tmp_path)
    auto = _with_config(capsys, small, tmp_path, {"fc2": {"Precision": {"accum": "auto", "result": "auto"}}})
    assert auto["lut"] > fixed["lut"]


# ---------------------------------------------------------------- one reader for both routes


@pytest.mark.parametrize("reuse, strategy", [(1, "latency"), (2, "resource")])
def test_config_with_one_precision_everywhere_equals_the_precision_route(capsys, small, tmp_path, reuse, strategy):
    flags = _estimate(capsys, small, "--part", "xcu250", "--precision", "ap_fixed<16,6>", "--reuse", reuse,
                      "--strategy", strategy)
    config = _with_config(capsys, small, tmp_path, ReuseFactor=reuse, Strategy=strategy.capitalize())
    assert {k: config[k] for k in KEYS} == {k: flags[k] for k in KEYS}


def test_json_bare_config_equals_yaml_project_style_config(capsys, small, tmp_path):
    layers = {"fc1": {"Precision": {"weight": "ap_fixed<10,3>", "result": "ap_fixed<20,8>"}, "ReuseFactor": 2}}
    bare = _estimate(capsys, small, "--part", "xcu250", "--hls-config", _config(tmp_path, layers, name="c.json"))
    full = tmp_path / "full.yml"
    full.write_text(yaml.safe_dump({"Part": "xcu250-figd2104-2L-e", "ClockPeriod": 5, "Backend": "Vitis",
                                    "IOType": "io_parallel", "KerasH5": str(small),
                                    "HLSConfig": {"Model": BASE_MODEL, "LayerName": layers}}))
    named = _estimate(capsys, "--hls-config", full)  # no MODEL, no --part: both from the file
    assert {k: named[k] for k in KEYS} == {k: bare[k] for k in KEYS}


# ---------------------------------------------------------------- an hls4ml project


def test_project_written_by_hls4ml_gives_part_clock_and_backend(capsys, project, small):
    from_project = _estimate(capsys, "--hls-project", project)
    assert from_project["part"] == "xcu250-figd2104-2L-e"
    assert from_project["latency_ns"] == from_project["latency_cycles"] * 4.0
    assert "reported" not in from_project
    same = _estimate(capsys, small, "--hls-config", project / "hls4ml_config.yml")  # MODEL beside the config
    assert {k: same[k] for k in KEYS} == {k: from_project[k] for k in KEYS}


def test_command_line_wins_over_the_project(capsys, project):
    default = _estimate(capsys, "--hls-project", project)
    overridden = _estimate(capsys, "--hls-project", project, "--part", "xcvu13p", "--clock", "5",
                           "--backend", "vitis")
    assert overridden["part"].startswith("xcvu13p")
    assert overridden["latency_ns"] == overridden["latency_cycles"] * 5.0
    assert overridden["lut"] > default["lut"]  # Vitis HLS' 27 % clock uncertainty vs Vivado HLS' 12.5 %


def test_project_reuse_factor_per_layer_is_used(capsys, project, small, tmp_path):
    """The project sets fc2's ReuseFactor to 2; the same config without it has II 1."""
    doc = yaml.load((project / "hls4ml_config.yml").read_text(), Loader=yaml.BaseLoader)
    assert doc["HLSConfig"]["LayerName"]["fc2"]["ReuseFactor"] == "2"
    from_project = _estimate(capsys, "--hls-project", project)
    plain = _with_config(capsys, small, tmp_path)
    assert from_project["ii"] == 2 and plain["ii"] == 1


def _project_with_report(project: Path, tmp_path: Path, report: str) -> Path:
    """A copy of ``project`` holding the fixture's C-synthesis ``report`` where hls4ml's build puts it."""
    copy = tmp_path / "prj"
    shutil.copytree(project, copy)
    report_dir = copy / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(REPORTS / "vivado_hls.app", copy / "myproject_prj")
    shutil.copy(REPORTS / report, report_dir)
    return copy


def test_project_csynth_report_is_shown_as_reported(capsys, project, tmp_path):
    copy = _project_with_report(project, tmp_path, "myproject_csynth.xml")
    payload = _estimate(capsys, "--hls-project", copy)
    assert payload["reported_source"] == "csynth"
    assert payload["reported"]["lut"] == 2532 and payload["reported"]["dsp"] == 73  # the report's own numbers
    assert payload["lut_source"] == "estimate:analytic"
    assert main(["estimate", "--hls-project", str(copy)]) == 0
    assert "reported" in capsys.readouterr().out


def test_project_from_before_hls4ml_0_6_shows_its_report_and_part(capsys, project, tmp_path):
    """Older hls4ml wrote ``set myproject "..."`` into project.tcl and ``XilinxPart`` into the config: the report
    is still read, and the part taken from the file."""
    copy = _project_with_report(project, tmp_path, "myproject_csynth.xml")
    (copy / "project.tcl").write_text('variable myproject\nset myproject "myproject"\nvariable backend\nset backend "vivado"\n')
    config = copy / "hls4ml_config.yml"
    config.write_text(config.read_text().replace("Part:", "XilinxPart:", 1))
    payload = _estimate(capsys, "--hls-project", copy)
    assert payload["part"] == "xcu250-figd2104-2L-e"
    assert payload["reported_source"] == "csynth" and payload["reported"]["lut"] == 2532


def test_clock_uncertainty_of_the_project_build_when_the_config_has_none(capsys, project, tmp_path):
    """A config without ClockUncertainty (hls4ml 1.0 wrote none) takes the one its project.tcl built with."""
    copy = tmp_path / "prj"
    shutil.copytree(project, copy)
    config = copy / "hls4ml_config.yml"
    config.write_text(config.read_text().replace("ClockUncertainty: 12.5%\n", ""))
    tcl = copy / "project.tcl"
    tcl.write_text(tcl.read_text().replace("set clock_uncertainty 12.5%", "set clock_uncertainty 50%"))
    from_tcl = _estimate(capsys, "--hls-project", copy)
    config.write_text(config.read_text() + "ClockUncertainty: 50%\n")
    from_config = _estimate(capsys, "--hls-project", copy)
    assert {k: from_tcl[k] for k in KEYS} == {k: from_config[k] for k in KEYS}
    assert from_tcl["latency_cycles"] > _estimate(capsys, "--hls-project", project)["latency_cycles"]


def test_clock_uncertainty_of_the_file_is_kept_for_its_own_backend(capsys, project, tmp_path):
    """hls4ml wrote ``ClockUncertainty: 12.5%`` for Vivado; a larger one in the file leaves less of each clock
    for logic (more cycles), and a --backend override drops the file's value for the new backend's default."""
    doc = yaml.load((project / "hls4ml_config.yml").read_text(), Loader=yaml.BaseLoader)
    assert doc["ClockUncertainty"] == "12.5%"
    copy = tmp_path / "prj"
    shutil.copytree(project, copy)
    text = (copy / "hls4ml_config.yml").read_text()
    (copy / "hls4ml_config.yml").write_text(text.replace("ClockUncertainty: 12.5%", "ClockUncertainty: 50%"))
    written = _estimate(capsys, "--hls-project", project)
    wider = _estimate(capsys, "--hls-project", copy)
    assert wider["latency_cycles"] > written["latency_cycles"]
    vitis_a = _estimate(capsys, "--hls-project", project, "--backend", "Vitis")
    vitis_b = _estimate(capsys, "--hls-project", copy, "--backend", "Vitis")
    assert {k: vitis_a[k] for k in KEYS} == {k: vitis_b[k] for k in KEYS}


def test_distributed_arithmetic_model_strategy_is_costed_by_da4ml(capsys, small, tmp_path):
    payload = _with_config(capsys, small, tmp_path, Strategy="distributed_arithmetic")
    assert payload["lut_source"] == "da4ml" and payload["dsp"] == 0


def test_rpt_without_xml_is_read_from_its_text(capsys, project, tmp_path):
    """The same run's .rpt alone gives the numbers hls4ml reads from its .xml."""
    from_xml = _estimate(capsys, "--hls-project", _project_with_report(project, tmp_path / "x", "myproject_csynth.xml"))
    from_rpt = _estimate(capsys, "--hls-project", _project_with_report(project, tmp_path / "r", "myproject_csynth.rpt"))
    assert from_rpt["reported_source"] == "csynth"
    assert from_rpt["reported"] == from_xml["reported"]


def test_unreadable_report_gives_a_note_not_numbers(capsys, project, tmp_path):
    copy = _project_with_report(project, tmp_path, "myproject_csynth.rpt")
    (copy / "myproject_prj" / "solution1" / "syn" / "report" / "myproject_csynth.rpt").write_text("truncated")
    payload = _estimate(capsys, "--hls-project", copy)
    assert "reported" not in payload
    assert any("not readable" in note for note in payload["notes"])


def test_published_tutorial_config_with_its_model(capsys, tmp_path):
    """A real hls4ml_config.yml (QKeras tutorial: per-layer types, an old input name, Vivado) with MODEL given."""
    h5 = tmp_path / "qkeras.h5"
    tr.build_model(tr.ROWS[2]).save(h5)
    config = TUTORIAL / "hector_model_3_9f451d8" / "hls4ml_config.yml"
    payload = _estimate(capsys, h5, "--hls-config", config)
    vitis = _estimate(capsys, h5, "--hls-config", config, "--backend", "Vitis")
    assert payload["part"] == "xcu250-figd2104-2L-e"
    assert payload["lut"] < vitis["lut"]  # the file's Vivado backend was used
    # hls4ml takes a QKeras layer's weight type from its quantizer (6 bits: few DSPs), whatever the file says.
    kept = _estimate(capsys, h5, "--part", "xcu250", "--hls-config", _config(tmp_path))
    wide = {name: {"Precision": {"weight": "ap_fixed<16,6>"}} for name in ("fc1", "fc2", "fc3", "output")}
    overridden = _estimate(capsys, h5, "--part", "xcu250", "--hls-config", _config(tmp_path, wide, name="w.yml"))
    assert kept["dsp"] == overridden["dsp"] < 100


# ---------------------------------------------------------------- reading files (no TensorFlow)


@pytest.mark.parametrize("case", sorted(p.parent.name for p in TUTORIAL.glob("*/hls4ml_config.yml")))
def test_published_configs_read_and_validate(case):
    from hls_workers.user_config import ConfigError, read_user_config

    user = read_user_config(TUTORIAL / case / "hls4ml_config.yml")
    assert user.part and user.clock_period_ns == 5.0 and user.model_ref.startswith("model_")
    with pytest.raises(ConfigError, match="not found"):
        user.model_path()


def test_python_tagged_yaml_is_read_as_plain_data(tmp_path):
    from hls_workers.user_config import load_document

    path = tmp_path / "c.yml"
    path.write_text("KerasModel: !keras_model 'm.h5'\nInputShapes: !!python/tuple [16]\nHLSConfig:\n  Model: {}\n")
    doc = load_document(path)
    assert doc["KerasModel"] == "m.h5" and doc["InputShapes"] == [16]


# ---------------------------------------------------------------- user mistakes


def _layers_of(doc):
    return {"Model": BASE_MODEL, "LayerName": doc}


CASES = {
    "missing-config": (["--hls-config", "none.yml"], {}, "hls4ml config not found"),
    "not-yaml": (["--hls-config", "c.yml"], {"c.yml": "Model: [a\n  b: c"}, "not YAML"),
    "not-json": (["--hls-config", "c.json"], {"c.json": "{Model:"}, "not JSON"),
    "a-list": (["--hls-config", "c.yml"], {"c.yml": "- a\n- b\n"}, "not an hls4ml config"),
    "no-hlsconfig": (["--hls-config", "c.yml"], {"c.yml": {"Part": "xcu250"}}, "no HLSConfig"),
    "no-model-section": (["--hls-config", "c.yml"], {"c.yml": {"HLSConfig": {"LayerName": {}}}}, "no Model section"),
    "bad-precision": (["--hls-config", "c.yml"], {"c.yml": _layers_of({"fc1": {"Precision": {"weight": "fixed<16"}}})},
                      "HLSConfig.LayerName.fc1.Precision.weight: 'fixed<16' is not a fixed-point type"),
    "bad-model-precision": (["--hls-config", "c.yml"], {"c.yml": {"Model": {"Precision": "ap_fixed<4,6>"}}},
                            "HLSConfig.Model.Precision"),
    "zero-reuse": (["--hls-config", "c.yml"], {"c.yml": _layers_of({"fc1": {"ReuseFactor": 0}})},
                   "HLSConfig.LayerName.fc1.ReuseFactor must be an integer of at least 1"),
    "unknown-strategy": (["--hls-config", "c.yml"], {"c.yml": {"Model": {**BASE_MODEL, "Strategy": "Dataflow"}}},
                         "unknown strategy 'Dataflow'"),
    "unknown-layer": (["--hls-config", "c.yml", "--part", "xcu250"], {"c.yml": _layers_of({"fc9": {"ReuseFactor": 2}})},
                      "'fc9' is not a layer of the model; its layers: input_1, fc1"),
    "with-precision": (["--hls-config", "c.yml", "--precision", "ap_fixed<8,3>"], {"c.yml": _layers_of({})},
                       "--precision cannot be combined with --hls-config"),
    "with-reuse-strategy": (["--hls-config", "c.yml", "--reuse", "2", "--strategy", "resource"],
                            {"c.yml": _layers_of({})}, "--reuse/--strategy cannot be combined"),
    "both-options": (["--hls-config", "c.yml", "--hls-project", "."], {"c.yml": _layers_of({})}, "not both"),
    "no-model-anywhere": (["--hls-config", "c.yml", "--part", "xcu250", "{MODEL_OFF}"], {"c.yml": _layers_of({})},
                          "names no KerasModel/KerasH5"),
    "no-model-no-config": (["--part", "xcu250", "{MODEL_OFF}"], {}, "give a MODEL file"),
    "config-model-missing": (["--hls-config", "c.yml", "{MODEL_OFF}"],
                             {"c.yml": {"KerasModel": "gone/keras_model.h5", "Part": "xcu250",
                                        "HLSConfig": {"Model": BASE_MODEL}}}, "'gone/keras_model.h5' not found"),
    "no-part": (["--hls-config", "c.yml"], {"c.yml": _layers_of({})}, "--part is required (the hls4ml config names no Part)"),
    "config-part-unknown": (["--hls-config", "c.yml"], {"c.yml": {"Part": "xc9999", "HLSConfig": {"Model": BASE_MODEL}}},
                            "c.yml: Part: unknown"),
    "config-backend": (["--hls-config", "c.yml", "--part", "xcu250"],
                       {"c.yml": {"Backend": "Quartus", "HLSConfig": {"Model": BASE_MODEL}}}, "Backend: 'Quartus'"),
    "project-missing": (["--hls-project", "nowhere"], {}, "hls4ml project folder not found"),
    "project-without-config": (["--hls-project", "empty"], {"empty/x.txt": "x"}, "no hls4ml_config.yml"),
}


def _make(tmp_path: Path, files: dict) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_mistake_is_one_error_line(capsys, monkeypatch, tmp_path, small, case):
    args, files, needle = CASES[case]
    monkeypatch.chdir(tmp_path)
    _make(tmp_path, files)
    before = _snapshot(tmp_path)
    argv = ["estimate", *(a for a in args if a != "{MODEL_OFF}")]
    if "{MODEL_OFF}" not in args and "--hls-project" not in args:
        argv.insert(1, str(small))
    rc = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert needle in lines[0], lines[0]
    assert "Traceback" not in captured.out + captured.err
    assert _snapshot(tmp_path) == before


def test_console_mistake_has_no_traceback(tmp_path):
    (tmp_path / "c.yml").write_text(yaml.safe_dump(_layers_of({"fc1": {"Strategy": "dataflow"}})))
    result = subprocess.run([sys.executable, "-m", "sweep.cli", "estimate", "--hls-config", "c.yml", "--part", "xcu250"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: HLSConfig.LayerName.fc1.Strategy: unknown strategy")
