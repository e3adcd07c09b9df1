"""``sweep report``: one self-contained HTML (plotly.js once, works offline) with the Pareto fronts, parallel
coordinates, the gap over total × integer bits, QAT vs PTQ, importances, hypervolume and the Pareto table
with sources; ``--png`` writes each figure; rendered in headless Chromium; user mistakes are one line."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import warnings
from collections import defaultdict
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.distributions import CategoricalDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from sweep.cli import main
from sweep.report_data import gap_grid
from sweep.report_figures import build_sections

optuna.logging.set_verbosity(optuna.logging.ERROR)

CHROMIUM = shutil.which("chromium")
OUTPUT = Path(__file__).resolve().parent / "output"  # screenshots kept as test output (git-ignored)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
OBJECTIVES = ["emulated_accuracy", "accuracy_gap", "lut"]
SOURCES = {m: "estimate:analytic" for m in ("lut", "dsp", "ff", "bram", "latency_cycles", "latency_ns", "ii")}
DISTRIBUTIONS = {
    "quantization": CategoricalDistribution(["qat", "ptq"]),
    "weight_bits": IntDistribution(4, 8, step=2), "weight_int_bits": IntDistribution(0, 1),
    "act_bits": IntDistribution(6, 8, step=2), "act_int_bits": IntDistribution(2, 3),
    "phi_width_0": CategoricalDistribution([8, 32]),
}


def _design(width: int, mode: str, wb: int, wi: int, ab: int, ai: int, per_layer: dict | None = None) -> dict:
    """A design as TrialRunner stores it (``Design.to_dict()``)."""
    bits = {"weight_bits": wb, "weight_int_bits": wi, "act_bits": ab, "act_int_bits": ai}
    layer_quant = {name: dict(bits) for name in ("phi_0", "rho_0", "output")}
    layer_quant.update(per_layer or {})
    return {"family": "deepsets", "architecture": {"n_constituents": 16, "phi": [width], "rho": [8],
                                                   "aggregation": "mean"},
            "layer_quant": layer_quant, "sparsity": 0.0, "reuse_factor": 1, "quantization": mode,
            "strategy": "latency"}


def _records() -> list[dict]:
    """96 COMPLETE designs: QAT/PTQ × weight bits 4/6/8 × int 0/1 × act bits 6/8 × int 2/3 × width 8/32."""
    records = []
    for mode, wb, wi, ab, ai, width in itertools.product(("qat", "ptq"), (4, 6, 8), (0, 1), (6, 8), (2, 3), (8, 32)):
        gap = round(0.3 * 2.0 ** (2 * wi - wb) * (1.6 if mode == "ptq" else 1.0) + 0.01 * (width == 8)
                    + 0.002 * ai + 0.001 * (8 - ab), 6)
        keras = 0.70 + 0.03 * (width == 32) + 0.002 * wb
        metrics = {"keras_accuracy": keras, "emulated_accuracy": round(keras - gap, 6), "accuracy_gap": gap,
                   "agreement": 1 - gap, "lut": float(width * 40 * wb + 25 * ab), "dsp": 0.0,
                   "latency_ns": 30.0 + ab, "n_params": 300.0 if width == 8 else 3000.0,
                   "n_params_total": 400.0 if width == 8 else 3000.0, "bops": float(width * wb * ab * 100)}
        params = {"quantization": mode, "weight_bits": wb, "weight_int_bits": wi, "act_bits": ab,
                  "act_int_bits": ai, "phi_width_0": width}
        records.append({"params": params, "metrics": metrics, "design": _design(width, mode, wb, wi, ab, ai)})
    return records


def _fill(study: optuna.Study, records: list[dict], failed: int = 2) -> None:
    for number, record in enumerate(records):
        study.add_trial(create_trial(
            values=[record["metrics"][m] for m in study.metric_names], params=record["params"],
            distributions=DISTRIBUTIONS,
            user_attrs={"design": record["design"], "metrics": record["metrics"], "hardware_sources": SOURCES,
                        "emulator_used": "numpy", "seed": number}))
    for _ in range(failed):
        study.add_trial(create_trial(state=TrialState.FAIL, user_attrs={"fail_reason": "TrialFailed: NaN loss"}))


def _new_study(storage: str, name: str, objectives: list[str]) -> optuna.Study:
    from sweep.objectives import OBJECTIVES as KNOWN

    study = optuna.create_study(study_name=name, storage=storage, directions=[KNOWN[m].direction for m in objectives])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(objectives)
    return study


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict:
    """A 98-trial study (96 COMPLETE, 2 FAIL) in SQLite, and its report written by the CLI."""
    folder = tmp_path_factory.mktemp("report")
    storage = f"sqlite:///{folder / 'trials.db'}"
    records = _records()
    _fill(_new_study(storage, "generated", OBJECTIVES), records)
    out = folder / "out" / "report.html"
    assert main(["report", "--storage", storage, "--study-name", "generated", "--out", str(out)]) == 0
    study = optuna.load_study(study_name="generated", storage=storage)
    return {"storage": storage, "records": records, "html": out, "study": study, "folder": folder,
            "sections": {s.key: s for s in build_sections(study)}}


def _expected_cells(records: list[dict], bits: str, integer: str) -> dict[tuple[int, int], list[float]]:
    cells = defaultdict(list)
    for record in records:
        cells[(record["params"][bits], record["params"][integer])].append(record["metrics"]["accuracy_gap"])
    return cells


def _pareto_rows(html: str) -> dict[int, str]:
    return {int(n): row for n, row in re.findall(r'<tr data-trial="(\d+)">(.*?)</tr>', html)}


# ------------------------------------------------------------------------------------------ layout


def test_one_self_contained_page_with_every_figure(generated):
    from plotly.offline import get_plotlyjs

    html = generated["html"].read_text()
    assert html.count(get_plotlyjs()[:300]) == 1  # plotly.js embedded once
    page = html.replace(get_plotlyjs(), "")  # the rest loads nothing from the network: works offline
    assert not re.search(r"<script[^>]*\bsrc=", page) and "cdn.plot.ly" not in page and "https://" not in page
    drawn = [key for key, s in generated["sections"].items() if s.figure is not None]
    assert len(drawn) == 9, drawn  # 3 Pareto pairs, parallel coordinates, 2 heat maps, QAT/PTQ, importances, HV
    assert html.count('class="plotly-graph-div"') == len(drawn)
    for key in drawn:
        assert f'id="fig-{key}"' in html, key
    for i, j in itertools.combinations(OBJECTIVES, 2):
        assert f"pareto-{i}-{j}" in drawn
    assert "Storage sqlite:///" in html and "96 COMPLETE" in html and "2 FAIL" in html


def test_pareto_scatter_highlights_the_pareto_trials_with_designs_on_hover(generated):
    figure = generated["sections"]["pareto-emulated_accuracy-accuracy_gap"].figure
    traces = {t.name: t for t in figure.data}
    best = {t.number for t in generated["study"].best_trials}
    highlighted = traces["Pareto trials (all objectives)"]
    assert {c[0] for c in highlighted.customdata} == best
    assert {c[0] for c in traces["other trials"].customdata} == set(range(96)) - best
    assert all(" | w" in c[1] and c[1].endswith((" qat", " ptq")) for c in highlighted.customdata)
    assert "trial %{customdata[0]}" in highlighted.hovertemplate


@pytest.mark.parametrize("kind, bits, integer", [("weights", "weight_bits", "weight_int_bits"),
                                                 ("activations", "act_bits", "act_int_bits")])
def test_gap_heat_map_is_total_bits_by_integer_bits(generated, kind, bits, integer):
    heatmap = generated["sections"][f"gap-heatmap-{kind}"].figure
    (trace,) = heatmap.data
    assert "total bits" in heatmap.layout.xaxis.title.text and "integer bits" in heatmap.layout.yaxis.title.text
    expected = _expected_cells(generated["records"], bits, integer)
    totals = sorted({b for b, _ in expected})
    integers = sorted({i for _, i in expected})
    assert list(trace.x) == [str(b) for b in totals] and list(trace.y) == [str(i) for i in integers]
    for (total, integer_bits), gaps in expected.items():
        i, j = integers.index(integer_bits), totals.index(total)
        assert trace.z[i][j] == pytest.approx(sum(gaps) / len(gaps))
        assert trace.customdata[i][j][0] == len(gaps) and trace.customdata[i][j][1] == pytest.approx(min(gaps))
        assert f"n={len(gaps)}" in trace.text[i][j]


def test_gap_grid_by_hand():
    """Three trials: weights w6.0 (gap 0.1 and 0.3) and, per layer, w8.2 with a narrower w4.1 layer (0.5)."""
    def trial(design, gap):
        return create_trial(values=[gap], user_attrs={"design": design, "metrics": {"accuracy_gap": gap}})

    trials = [trial(_design(8, "qat", 6, 0, 8, 3), 0.1), trial(_design(8, "qat", 6, 0, 8, 3), 0.3),
              trial(_design(8, "qat", 8, 2, 8, 3, per_layer={"rho_0": {"weight_bits": 4, "weight_int_bits": 1,
                                                                       "act_bits": 8, "act_int_bits": 3}}), 0.5)]
    grid = gap_grid(trials, "weights", "accuracy_gap")
    assert grid.total_bits == [4, 6] and grid.int_bits == [0, 1] and grid.per_layer
    assert grid.cell(6, 0) == (pytest.approx(0.2), 0.1, 2)
    assert grid.cell(4, 1) == (0.5, 0.5, 1)
    assert grid.cell(4, 0) == (None, None, 0) and grid.cell(6, 1) == (None, None, 0)


def test_qat_vs_ptq_curves_one_pair_per_model_size(generated):
    figure = generated["sections"]["qat-vs-ptq"].figure
    names = {t.name for t in figure.data}
    assert names == {"256–512 params, QAT", "256–512 params, PTQ", "2k–4k params, QAT", "2k–4k params, PTQ"}
    assert len(figure.data) == 8  # weights and activations side by side
    by_key = defaultdict(list)
    for record in generated["records"]:
        size = "256–512 params" if record["params"]["phi_width_0"] == 8 else "2k–4k params"
        by_key[(size, record["params"]["quantization"].upper(), record["params"]["weight_bits"])].append(
            record["metrics"]["accuracy_gap"])
    weights = [t for t in figure.data if t.xaxis == "x"]
    for trace in weights:
        size, mode = trace.name.split(", ")
        for bits, mean in zip(trace.x, trace.y):
            gaps = by_key[(size, mode, bits)]
            assert mean == pytest.approx(sum(gaps) / len(gaps))
    ptq = next(t for t in weights if t.name == "2k–4k params, PTQ")
    qat = next(t for t in weights if t.name == "2k–4k params, QAT")
    assert all(p > q for p, q in zip(ptq.y, qat.y))  # the generated PTQ gap is larger at every width


def test_importances_and_hypervolume(generated):
    importances = generated["sections"]["param-importances"].figure
    assert [t.name for t in importances.data] == OBJECTIVES
    assert "weight_bits" in importances.data[0].y
    hv = generated["sections"]["hypervolume"]
    (trace,) = hv.figure.data
    values = list(trace.y)
    assert len(values) == 96 and values == sorted(values)  # non-decreasing
    assert 0 < values[-1] <= 1
    assert "Reference point (worst observed)" in hv.note


def test_pareto_table_lists_exactly_the_best_trials_with_sources(generated):
    html = generated["html"].read_text()
    rows = _pareto_rows(html)
    assert set(rows) == {t.number for t in generated["study"].best_trials}
    for number, row in rows.items():
        trial = generated["study"].trials[number]
        lut = re.search(r'data-metric="lut">([^<]*)<span class="src">([^<]*)</span>', row)
        assert lut and lut.group(2) == "estimate:analytic"
        assert lut.group(1) == f"{int(trial.user_attrs['metrics']['lut']):,}"
        assert re.search(r'data-metric="emulated_accuracy">[^<]*<span class="src">emulation:numpy</span>', row)
        assert re.search(r'data-metric="accuracy_gap">[^<]*<span class="src">keras vs emulation:numpy</span>', row)
        assert re.search(r'data-metric="keras_accuracy">[^<]*<span class="src">keras</span>', row)


@pytest.mark.parametrize("case", ["few-trials", "single-objective"])
def test_small_studies_get_notes_instead_of_figures(tmp_path, case):
    storage = f"sqlite:///{tmp_path / 'trials.db'}"
    objectives = ["accuracy_gap"] if case == "single-objective" else OBJECTIVES
    records = [r for r in _records() if r["params"]["quantization"] == "qat"][:3]
    _fill(_new_study(storage, "small", objectives), records, failed=0)
    out = tmp_path / "small.html"
    assert main(["report", "--storage", storage, "--study-name", "small", "--out", str(out)]) == 0
    notes = re.findall(r'<p class="note">([^<]*)</p>', out.read_text())
    text = " ".join(notes)
    assert "need at least 8 COMPLETE trials; the study has 3" in text
    assert "no PTQ trial" in text
    if case == "single-objective":
        assert "single objective" in text


# ------------------------------------------------------------------------------------------ browser


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args],
                          capture_output=True, text=True, timeout=180)


@needs_chromium
def test_report_renders_in_headless_chromium(generated):
    """plotly draws every figure (its SVG in the DOM); the screenshot is kept in tests/output/."""
    folder = generated["folder"]
    url = generated["html"].resolve().as_uri()
    dom = _chromium("--dump-dom", url, profile=folder / "profile-dom").stdout
    assert dom.count('class="main-svg"') >= 9  # one or more SVG layers per drawn figure
    assert dom.count('class="plotly-graph-div') == 9
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / "report_screenshot.png"
    shot.unlink(missing_ok=True)
    _chromium("--window-size=1400,3000", f"--screenshot={shot}", url, profile=folder / "profile-shot")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    print(f"screenshot: {shot}")


@needs_chromium
def test_png_writes_one_file_per_figure(generated, tmp_path):
    out, pngs = tmp_path / "r.html", tmp_path / "figures"
    assert main(["report", "--storage", generated["storage"], "--study-name", "generated", "--out", str(out),
                 "--png", str(pngs)]) == 0
    files = sorted(p.name for p in pngs.iterdir())
    drawn = [s for s in generated["sections"].values() if s.figure is not None]
    assert len(files) == len(drawn) == 9
    assert "05_gap-heatmap-weights.png" in files
    for name in files:
        data = (pngs / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, name
    assert out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


# ------------------------------------------------------------------------------------------ user mistakes


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", ["unknown-study", "no-complete-trial", "not-html", "under-a-file", "out-is-a-folder",
                                  "png-browser-path-missing", "png-no-browser-on-path", "png-browser-fails"])
def test_user_mistake_is_one_line_exit_2_nothing_written(generated, tmp_path, capsys, monkeypatch, case):
    storage, name = generated["storage"], "generated"
    out = tmp_path / "report.html"
    extra: list[str] = []
    needle = {"unknown-study": "no study 'nope'", "no-complete-trial": "has no COMPLETE trial yet (1 FAIL)",
              "not-html": "give a .html file", "under-a-file": "not a folder", "out-is-a-folder": "is a folder",
              "png-browser-path-missing": "BROWSER_PATH=/nonexistent/chromium",
              "png-no-browser-on-path": "needs Chrome or Chromium", "png-browser-fails": "kaleido could not render"}[case]
    if case == "unknown-study":
        name = "nope"
    elif case == "no-complete-trial":
        storage = f"sqlite:///{tmp_path.parent / (tmp_path.name + '-failed.db')}"
        name = "failed_only"
        _fill(_new_study(storage, name, OBJECTIVES), [], failed=1)
    elif case == "not-html":
        out = tmp_path / "report.png"
    elif case == "under-a-file":
        (tmp_path / "notes.txt").write_text("x")
        out = tmp_path / "notes.txt" / "report.html"
    elif case == "out-is-a-folder":
        out = tmp_path / "folder.html"
        out.mkdir()
    elif case.startswith("png"):
        extra = ["--png", str(tmp_path / "figures")]
        if case == "png-browser-path-missing":
            monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
        elif case == "png-no-browser-on-path":
            monkeypatch.delenv("BROWSER_PATH", raising=False)
            monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
        else:  # a "browser" that exits at once: kaleido fails after the figures were built
            monkeypatch.setenv("BROWSER_PATH", "/bin/false")
    before = _snapshot(tmp_path)
    rc = main(["report", "--storage", storage, "--study-name", name, "--out", str(out), *extra])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert needle in lines[0], lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert _snapshot(tmp_path) == before, case


# ------------------------------------------------------------------------------------------ real study


def test_report_of_a_real_tiny_study(tmp_path, quickstart_dir, capsys):
    """Three real trials (QKeras training, hls4ml conversion, numpy emulation): the attributes TrialRunner
    records are what the report reads."""
    from test_study_e2e import TINY_STUDY

    study_dict = json.loads(json.dumps(TINY_STUDY))
    study_dict.update(name="tiny_report", n_trials=3, storage=f"sqlite:///{tmp_path / 'trials.db'}",
                      artifacts_dir=str(tmp_path / "projects"))
    study_dict["data"]["source"] = str(quickstart_dir)
    study_dict["training"].update(epochs=2, patience=1)
    study_dict["hls4ml"]["cross_check_every"] = 0  # no g++ compile: the report reads what every trial records
    study_dict["space"]["quantization"] = ["qat", "ptq"]
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study_dict))
    assert main(["run", str(path)]) == 0
    storage = study_dict["storage"]
    out = tmp_path / "tiny.html"
    capsys.readouterr()
    assert main(["report", "--storage", storage, "--study-name", "tiny_report", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    study = optuna.load_study(study_name="tiny_report", storage=storage)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert complete
    html = out.read_text()
    rows = _pareto_rows(html)
    assert set(rows) == {t.number for t in study.best_trials}
    for row in rows.values():
        assert '<span class="src">emulation:numpy</span>' in row and " | w" in row
    sections = {s.key: s for s in build_sections(study)}
    (heat,) = sections["gap-heatmap-weights"].figure.data
    expected = defaultdict(list)  # the tiny space has the same bits in every layer
    for trial in complete:
        quant = trial.user_attrs["design"]["layer_quant"]["phi_0"]
        expected[(str(quant["weight_bits"]), str(quant["weight_int_bits"]))].append(
            trial.user_attrs["metrics"]["accuracy_gap"])
    for i, integer in enumerate(heat.y):
        for j, total in enumerate(heat.x):
            gaps = expected.get((total, integer))
            assert heat.z[i][j] is None if not gaps else heat.z[i][j] == pytest.approx(sum(gaps) / len(gaps))
    assert sum(len(g) for g in expected.values()) == sum(c[0] for row in heat.customdata for c in row)
    assert html.count('class="plotly-graph-div"') == sum(s.figure is not None for s in sections.values())
    assert os.path.getsize(out) > 1_000_000  # plotly.js is inside
