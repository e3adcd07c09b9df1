"""Every user mistake a newcomer can make with ``sweep``: one line ``error: …`` on stderr (a usage error may
add one ``hint:`` line), exit status 2, no traceback, and nothing written in the working folder.

One table of cases (id, argv, files to create first, expected part of the error line). Each case runs
in-process through ``sweep.cli.main`` from an empty folder; a few also run through the installed
``sweep`` console script to prove no traceback reaches a real user. Nothing here trains a model:
``sweep.cli.study._run`` is a tripwire (as in tests/test_cli_errors.py).
"""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import optuna
import pytest
import yaml

from calofiles import reshaped_cells, without
from sweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "studies" / "quickstart.yaml"
SWEEP = Path(sys.executable).with_name("sweep")

optuna.logging.set_verbosity(optuna.logging.ERROR)


# ---------------------------------------------------------------- files a case starts from


def study(**changes: Any) -> Callable[[Path], None]:
    """The quickstart study file with ``dotted.key=value`` changes (``__`` stands for the dot)."""
    def write(path: Path) -> None:
        doc = yaml.safe_load(QUICKSTART.read_text())
        for dotted, value in changes.items():
            *parents, last = dotted.split("__")
            node = doc
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
        path.write_text(yaml.safe_dump(doc))
    return write


def optuna_storage(*studies: str, complete: bool = False) -> Callable[[Path], None]:
    """An Optuna SQLite storage holding ``studies`` (two objectives; one COMPLETE trial if ``complete``)."""
    def write(path: Path) -> None:
        url = f"sqlite:///{path}"
        optuna.storages.RDBStorage(url)
        for name in studies:
            created = optuna.create_study(study_name=name, storage=url, directions=["maximize", "minimize"])
            if complete:
                created.add_trial(optuna.trial.create_trial(values=[0.5, 1.0], params={}, distributions={}))
    return write


def other_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def folder(path: Path) -> None:
    path.mkdir()


def non_empty_folder(path: Path) -> None:
    path.mkdir()
    (path / "keep.txt").write_text("mine")


def sweep_storage(store: bool = False) -> Callable[[Path], None]:
    """An SQLite storage with an hls-sweep study ``q`` (the quickstart config stored in it): trial 0 COMPLETE
    with artifact ids, 1 FAIL and 2 PRUNED with their reasons. Its artifact store folder ``store/`` beside
    the file exists only if ``store``."""
    def write(path: Path) -> None:
        from sweep.config import load_config
        from sweep.study import directions_of, storable_config

        cfg = load_config(QUICKSTART)
        url = f"sqlite:///{path}"
        created = optuna.create_study(study_name="q", storage=url, directions=directions_of(cfg))
        created.set_user_attr("config", storable_config(cfg))
        created.set_user_attr("artifact_store", str(path.parent / "store"))
        if store:
            (path.parent / "store").mkdir()
        created.add_trial(optuna.trial.create_trial(values=[0.5, 0.01, 100.0], params={}, distributions={},
                                                    user_attrs={"artifact_ids": {"model": "0000"}}))
        created.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL,
                                                    user_attrs={"fail_reason": "NaN loss during training"}))
        created.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED, user_attrs={
            "prune_reason": "pre-training estimate over the constraints: lut 9e5 > 2 x 1e5"}))
    return write


FileSpec = str | bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    needle: str
    files: dict[str, FileSpec] = field(default_factory=dict)
    #: The error line starts with ``error: <starts>`` (e.g. the study file's name).
    starts: str = ""


def _torch_missing() -> bool:
    return importlib.util.find_spec("torch") is None


NOT_A_PART = "xcvu13q-flga2577-2-e"  # one character off the default part (another speed grade would be the same device)

CASES: list[Case] = [
    # usage errors: click's, printed as one line + one hint (never typer's boxed panel)
    Case("unknown-command", ["frobnicate"], "no such command 'frobnicate'"),
    Case("unknown-data-command", ["data", "frobnicate"], "no such command 'frobnicate'"),
    Case("unknown-option", ["status", "--frob"], "no such option: --frob"),
    Case("misspelt-option", ["run", "s.yaml", "--n-trial", "3"], "--n-trials", {"s.yaml": study()}),
    Case("negative-n-trials", ["run", "s.yaml", "--n-trials", "-3"], "'--n-trials'", {"s.yaml": study()}),
    Case("zero-n-trials", ["run", "s.yaml", "--n-trials", "0"], "'--n-trials'", {"s.yaml": study()}),
    Case("n-trials-not-a-number", ["run", "s.yaml", "--n-trials", "many"], "'--n-trials'", {"s.yaml": study()}),
    Case("negative-synth-top", ["run", "s.yaml", "--synth-top", "-1"], "'--synth-top'", {"s.yaml": study()}),
    Case("unknown-format", ["pareto", "--study-name", "q", "--format", "xml"], "'xml' is not one of"),
    Case("missing-required-option", ["pareto"], "missing option '--study-name'"),
    Case("option-without-value", ["data", "generate", "--out"], "'--out' requires an argument"),
    Case("missing-argument", ["validate"], "missing argument"),
    Case("extra-argument", ["validate", "a.yaml", "b.yaml"], "unexpected extra argument"),
    # study files
    Case("missing-study-file", ["validate", "absent.yaml"], "no such study file", starts="absent.yaml: "),
    Case("study-file-is-a-folder", ["validate", "studies"], "is a folder", {"studies": folder}),
    Case("binary-study-file", ["validate", "s.yaml"], "not a text (UTF-8) file",
         {"s.yaml": bytes(range(256)) * 4}, starts="s.yaml: "),
    Case("nul-in-study-file", ["validate", "s.yaml"], "malformed YAML", {"s.yaml": "name: q\x00\n"}),
    Case("empty-study-file", ["validate", "s.yaml"], "mapping", {"s.yaml": ""}),
    Case("study-file-is-a-list", ["validate", "s.yaml"], "mapping", {"s.yaml": "- name\n- seed\n"}),
    Case("negative-epochs", ["validate", "s.yaml"], "training.epochs", {"s.yaml": study(training__epochs=-2)}),
    Case("grace-shorter-than-heartbeat", ["validate", "s.yaml"], "grace_period_s (5) must be longer",
         {"s.yaml": study(workers__heartbeat_interval_s=10, workers__grace_period_s=5)}),
    Case("negative-max-retry", ["validate", "s.yaml"], "workers.max_retry", {"s.yaml": study(workers__max_retry=-1)}),
    Case("run-zero-jobs", ["run", "s.yaml", "--jobs", "0"], "'--jobs'", {"s.yaml": study()}),
    Case("worker-without-study", ["worker", "--storage", "sqlite:///x.db"], "give --study-name"),
    Case("worker-malformed-proxy-url", ["worker", "--storage", "grpc://host-without-port", "--study-name", "s"],
         "grpc://HOST:PORT"),
    Case("journal-in-missing-folder", ["status", "--storage", "journal:///nowhere/s.log"], "does not exist"),
    Case("proxy-on-busy-port", ["storage-proxy", "--storage", "sqlite:///x.db", "--port", "0"], "'--port'"),
    Case("unknown-part", ["validate", "s.yaml"], "did you mean xcvu13p-flga2577-2-e",
         {"s.yaml": study(hls4ml__part=NOT_A_PART)}, starts="s.yaml: hls4ml.part: unknown FPGA part"),
    Case("unknown-part-far-from-all", ["validate", "s.yaml"], "no similar name in the part table",
         {"s.yaml": study(hls4ml__part="stratix10")}),
    Case("ambiguous-part", ["validate", "s.yaml"], "ambiguous", {"s.yaml": study(hls4ml__part="xcvu")}),
    Case("objective-of-another-task", ["validate", "s.yaml"], "'emulated_mse' is a regression metric",
         {"s.yaml": study(objectives=["emulated_accuracy", "emulated_mse"])}, starts="s.yaml: objectives.1: "),
    # `run` refuses the same files before creating a study or a storage file
    Case("run-unknown-part", ["run", "s.yaml"], "unknown FPGA part", {"s.yaml": study(hls4ml__part=NOT_A_PART)}),
    Case("create-unknown-part", ["create", "s.yaml"], "unknown FPGA part", {"s.yaml": study(hls4ml__part=NOT_A_PART)}),
    Case("create-missing-file", ["create", "nope.yaml"], "nope.yaml"),
    Case("run-objective-of-another-task", ["run", "s.yaml"], "regression metric",
         {"s.yaml": study(objectives=["emulated_mse", "lut"])}),
    Case("run-storage-in-missing-folder", ["run", "s.yaml", "--storage", "sqlite:///no/such/dir/x.db"],
         "does not exist", {"s.yaml": study()}),
    # storages: only `run` with a study file creates one
    Case("status-default-storage-missing", ["status"], "no such SQLite file sweeps.db"),
    Case("status-storage-missing", ["status", "--storage", "sqlite:///nope.db"], "no such SQLite file"),
    Case("status-json-storage-missing", ["status", "--json", "--storage", "sqlite:///nope.db"], "no such SQLite"),
    Case("status-empty-file", ["status", "--storage", "sqlite:///empty.db"], "is empty", {"empty.db": ""}),
    Case("status-other-sqlite", ["status", "--storage", "sqlite:///notes.db"], "not an Optuna storage",
         {"notes.db": other_sqlite}),
    Case("pareto-storage-missing", ["pareto", "--study-name", "q", "--storage", "sqlite:///nope.db"],
         "no such SQLite file"),
    Case("pareto-unknown-study", ["pareto", "--study-name", "ghost"], "no study 'ghost'",
         {"sweeps.db": optuna_storage("q")}),
    Case("plot-storage-missing", ["plot", "--study-name", "q", "--out", "p.html"], "no such SQLite file"),
    Case("plot-not-html", ["plot", "--study-name", "q", "--out", "p.png"], "HTML",
         {"sweeps.db": optuna_storage("q", complete=True)}),
    Case("plot-under-a-file", ["plot", "--study-name", "q", "--out", "notes.txt/p.html"], "not a folder",
         {"sweeps.db": optuna_storage("q", complete=True), "notes.txt": "x"}),
    Case("plot-no-complete-trial", ["plot", "--study-name", "q", "--out", "p.html"], "no COMPLETE trial",
         {"sweeps.db": optuna_storage("q")}),
    Case("synth-storage-missing", ["synth", "--study-name", "q", "--storage", "sqlite:///nope.db"],
         "no such SQLite file"),
    Case("continue-storage-missing", ["run", "--storage", "sqlite:///nope.db", "--study-name", "q"],
         "no such SQLite file"),
    Case("continue-unknown-study", ["run", "--storage", "sqlite:///sweeps.db", "--study-name", "ghost"],
         "no study 'ghost'", {"sweeps.db": optuna_storage("q")}),
    Case("continue-foreign-study", ["run", "--storage", "sqlite:///sweeps.db", "--study-name", "q"],
         "not made by hls-sweep", {"sweeps.db": optuna_storage("q")}),
    # jet data
    Case("generate-into-proc", ["data", "generate", "--out", "/proc/hls-sweep/jets", "--jets-per-class", "1",
                                "--seed", "1"], "cannot create the folder"),
    Case("generate-under-a-file", ["data", "generate", "--out", "notes.txt/jets", "--jets-per-class", "1",
                                   "--seed", "1"], "cannot create the folder", {"notes.txt": "x"}),
    Case("generate-onto-a-file", ["data", "generate", "--out", "notes.txt", "--jets-per-class", "1",
                                  "--seed", "1"], "not a folder", {"notes.txt": "x"}),
    Case("generate-negative-jets", ["data", "generate", "--out", "jets", "--jets-per-class", "-5", "--seed", "1"],
         "positive"),
    Case("generate-unknown-class", ["data", "generate", "--out", "jets", "--jets-per-class", "1", "--seed", "1",
                                    "--classes", "g,b"], "unknown class 'b'"),
    Case("info-missing-path", ["data", "info", "nothere"], "no such file or folder"),
    Case("info-unknown-builtin", ["data", "info", "builtin:nope"], "unknown built-in data set"),
    Case("info-plot-under-a-file", ["data", "info", "nothere", "--plot", "notes.txt/p.html"], "not a folder",
         {"notes.txt": "x"}),
    # calorimeter clusters (tests/calofiles.py writes them; `validate` reads a local cluster file)
    Case("calo-wrong-cell-shape", ["validate", "s.yaml"], "'cells' has shape (10, 16, 3)",
         {"s.yaml": study(data__source="c.npz"), "c.npz": reshaped_cells((10, 16, 3))}, starts="c.npz: "),
    Case("calo-missing-target", ["validate", "s.yaml"], "no 'energy' array",
         {"s.yaml": study(data__source="c.npz", data__task="regression", objectives=["mae", "lut"]),
          "c.npz": without("energy")}, starts="c.npz: "),
    Case("calo-pad-inside-range", ["validate", "s.yaml"], "pad_value 0 is inside the data range: feature 'eta'",
         {"s.yaml": study(data__source="c.npz", data__pad_value=0.0), "c.npz": without("energy")}),
    Case("regression-on-jet-data", ["validate", "s.yaml"], "regression needs calorimeter clusters",
         {"s.yaml": study(data__task="regression", objectives=["mae", "lut"])}, starts="s.yaml: data.task: "),
    Case("calo-accuracy-on-regression", ["validate", "s.yaml"], "'emulated_accuracy' is a classification metric",
         {"s.yaml": study(data__source="c.npz", data__task="regression"), "c.npz": without("label")}),
    # estimate
    Case("estimate-missing-model", ["estimate", "missing.h5", "--part", "xcvu13p"], "model file not found"),
    Case("estimate-unknown-part", ["estimate", "model.h5", "--part", "xcku999"], "did you mean xcku9p",
         {"model.h5": "not a model"}),
    Case("estimate-bad-precision", ["estimate", "model.h5", "--part", "xcvu13p", "--precision", "ap_fixed<4,6>"],
         "--precision", {"model.h5": "not a model"}),
    Case("estimate-zero-reuse", ["estimate", "model.h5", "--part", "xcvu13p", "--reuse", "0"], "--reuse",
         {"model.h5": "not a model"}),
    Case("estimate-not-hdf5", ["estimate", "model.h5", "--part", "xcvu13p"], "not a Keras/QKeras model",
         {"model.h5": "not a model"}),
    # export (tests/test_export.py exports real trials)
    Case("export-storage-missing", ["export", "--study-name", "q", "--trial", "0", "--out", "o"], "no such SQLite"),
    Case("export-unknown-study", ["export", "--study-name", "ghost", "--trial", "0", "--out", "o"],
         "no study 'ghost'", {"sweeps.db": sweep_storage()}),
    Case("export-foreign-study", ["export", "--study-name", "q", "--trial", "0", "--out", "o"],
         "not made by hls-sweep", {"sweeps.db": optuna_storage("q", complete=True)}),
    Case("export-unknown-trial", ["export", "--study-name", "q", "--trial", "7", "--out", "o"],
         "study 'q' has no trial 7 (trials 0–2)", {"sweeps.db": sweep_storage()}),
    Case("export-negative-trial", ["export", "--study-name", "q", "--trial", "-1", "--out", "o"], "'--trial'",
         {"sweeps.db": sweep_storage()}),
    Case("export-failed-trial", ["export", "--study-name", "q", "--trial", "1", "--out", "o"],
         "trial 1 of study 'q' is FAIL, nothing to export: NaN loss during training", {"sweeps.db": sweep_storage()}),
    Case("export-pruned-trial", ["export", "--study-name", "q", "--trial", "2", "--out", "o"],
         "is PRUNED, nothing to export: pre-training estimate", {"sweeps.db": sweep_storage()}),
    Case("export-store-missing", ["export", "--study-name", "q", "--trial", "0", "--out", "o"],
         "store of study 'q' not found", {"sweeps.db": sweep_storage()}, starts="artifact store /"),
    Case("export-out-not-empty", ["export", "--study-name", "q", "--trial", "0", "--out", "o"],
         "o: exists and is not empty", {"sweeps.db": sweep_storage(store=True), "o": non_empty_folder}),
    Case("export-out-is-a-file", ["export", "--study-name", "q", "--trial", "0", "--out", "notes.txt"],
         "exists and is not a folder", {"sweeps.db": sweep_storage(store=True), "notes.txt": "x"}),
    Case("export-out-under-a-file", ["export", "--study-name", "q", "--trial", "0", "--out", "notes.txt/o"],
         "not a folder", {"sweeps.db": sweep_storage(store=True), "notes.txt": "x"}),
    Case("export-out-unwritable", ["export", "--study-name", "q", "--trial", "0", "--out", "/proc/hls-sweep/o"],
         "/proc/hls-sweep/o: cannot be written", {"sweeps.db": sweep_storage(store=True)}),
    Case("synth-store-missing", ["synth", "--study-name", "q"], "store of study 'q' not found",
         {"sweeps.db": sweep_storage()}),
    # trace (tests/test_trace.py traces real trials)
    Case("trace-storage-missing", ["trace", "--study-name", "q", "--trial", "0"], "no such SQLite"),
    Case("trace-unknown-study", ["trace", "--study-name", "ghost", "--trial", "0"], "no study 'ghost'",
         {"sweeps.db": sweep_storage()}),
    Case("trace-foreign-study", ["trace", "--study-name", "q", "--trial", "0"], "not made by hls-sweep",
         {"sweeps.db": optuna_storage("q", complete=True)}),
    Case("trace-unknown-trial", ["trace", "--study-name", "q", "--trial", "7"],
         "study 'q' has no trial 7 (trials 0–2)", {"sweeps.db": sweep_storage()}),
    Case("trace-failed-trial", ["trace", "--study-name", "q", "--trial", "1"],
         "trial 1 of study 'q' is FAIL, nothing to trace: NaN loss during training", {"sweeps.db": sweep_storage()}),
    Case("trace-pruned-trial", ["trace", "--study-name", "q", "--trial", "2"],
         "is PRUNED, nothing to trace: pre-training estimate", {"sweeps.db": sweep_storage()}),
    Case("trace-zero-samples", ["trace", "--study-name", "q", "--trial", "0", "--samples", "0"], "'--samples'",
         {"sweeps.db": sweep_storage(store=True)}),
    Case("trace-store-missing", ["trace", "--study-name", "q", "--trial", "0"], "store of study 'q' not found",
         {"sweeps.db": sweep_storage()}, starts="artifact store /"),
]
if _torch_missing():
    CASES.append(Case("gp-sampler-without-torch", ["validate", "s.yaml"], "needs PyTorch",
                      {"s.yaml": study(sampler={"name": "gp", "seed": 0})}, starts="s.yaml: sampler.name: "))

# the equivalent cases moved here from tests/test_cli_errors.py (one-line errors naming the key path)
_MOVED_BAD_FILES: dict[str, tuple[FileSpec, str]] = {
    "malformed-yaml": ("name: q\nseed: 1\nstorage: a: b\n", "line 3"),
    "unknown-top-level": (study(frobnicate=1), "frobnicate"),
    "unknown-nested": (study(training__epoch=2), "training.epoch"),
    "unknown-space-param": (study(space__phi_widht=8), "space.phi_widht"),
    "width-zero": (study(space__phi_width=0), "space.phi_width"),
    "weight-int-bits": (study(space__weight_int_bits=4), "space.weight_int_bits"),
    "act-int-bits": (study(space__act_int_bits=7), "space.act_int_bits"),
    "sparsity-one": (study(space__sparsity=1.0), "space.sparsity"),
    "sparsity-negative": (study(space__sparsity=-0.1), "space.sparsity"),
    "low-above-high": (study(space__act_bits={"low": 10, "high": 6}), "space.act_bits"),
    "empty-choices": (study(space__phi_width=[]), "space.phi_width"),
    "unknown-sampler": (study(sampler__name="cmaes"), "sampler.name"),
    "unknown-objective": (study(objectives=["bops", "luts"]), "objectives"),
    "duplicate-objective": (study(objectives=["bops", "bops"]), "objectives"),
    "bad-input-precision": (study(hls4ml__input_precision="ap_fixed<4,6>"), "hls4ml.input_precision"),
    "unknown-family": (study(model__family="cnn"), "model.family"),
    "sum-with-unknown-family": (study(model__family="cnn", space__aggregation="sum"), "model.family"),
    "sum-with-mlp-family": (study(model__family="mlp", space={"aggregation": "sum"}), "space.aggregation"),
    "unknown-aggregation": (study(space__aggregation="median"), "space.aggregation"),
    "too-many-constituents": (study(data__n_constituents=151), "data.n_constituents"),
    "unknown-class": (study(data__classes=["g", "b"]), "data.classes"),
    "representation-mismatch": (study(data__representation="hlf"), "data.representation"),
    "unknown-sampler-option": (study(sampler__options={"populaton_size": 6}), "sampler.options"),
}
CASES += [Case(f"validate-{name}", ["validate", "bad.yaml"], needle, {"bad.yaml": spec}, starts="bad.yaml: ")
          for name, (spec, needle) in _MOVED_BAD_FILES.items()]

_MOVED_BAD_URLS = {
    "missing-folder": ("sqlite:///no/such/dir/x.db", "does not exist"),
    "mysql": ("mysql://x", "mysql"),
    "not-a-url": ("notaurl", "not a database URL"),
    "memory": ("sqlite:///:memory:", "file path"),
    "no-path": ("sqlite://", "file path"),
}
for name, (url, needle) in _MOVED_BAD_URLS.items():
    doc_with_url = study(storage=url)
    CASES += [
        Case(f"run-option-storage-{name}", ["run", "s.yaml", "--storage", url], needle, {"s.yaml": study()}),
        Case(f"run-file-storage-{name}", ["run", "s.yaml"], needle, {"s.yaml": doc_with_url}),
        Case(f"continue-storage-{name}", ["run", "--storage", url, "--study-name", "q"], needle),
        Case(f"pareto-storage-{name}", ["pareto", "--study-name", "q", "--storage", url], needle),
        Case(f"status-storage-{name}", ["status", "--storage", url], needle),
    ]

#: Cases also run through the installed console script (a fresh process, as a user runs it).
SUBPROCESS_CASES = ["unknown-command", "negative-n-trials", "unknown-format", "missing-required-option",
                    "binary-study-file", "status-storage-missing", "generate-into-proc", "unknown-part",
                    "objective-of-another-task", "info-missing-path", "export-failed-trial"]

_BY_ID = {case.id: case for case in CASES}
assert len(_BY_ID) == len(CASES), "case ids repeat"


# ---------------------------------------------------------------- running a case


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Run from an empty folder; ``run`` must never get as far as starting a study (nothing trains)."""
    monkeypatch.chdir(tmp_path)

    def tripwire(*args, **kwargs):
        raise AssertionError("run went past its checks and would have started a study")

    monkeypatch.setattr("sweep.cli.study._run", tripwire)


def _make_files(root: Path, files: dict[str, FileSpec]) -> None:
    for name, spec in files.items():
        path = root / name
        if callable(spec):
            spec(path)
        elif isinstance(spec, bytes):
            path.write_bytes(spec)
        else:
            path.write_text(spec)


def _snapshot(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``root`` with (is folder, size, mtime): a new or changed file shows."""
    out = {}
    for path in root.rglob("*"):
        stat = path.stat()
        out[str(path.relative_to(root))] = (path.is_dir(), 0 if path.is_dir() else stat.st_size,
                                            0 if path.is_dir() else stat.st_mtime_ns)
    return out


def assert_one_error_line(rc: int, out: str, err: str, case: Case) -> str:
    assert rc == 2, (case.id, rc, out, err)
    assert "Traceback" not in out + err, (case.id, err)
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, (case.id, err)
    assert lines[0] == errors[0], (case.id, err)
    assert len(lines) <= 2, (case.id, err)  # the error and at most one hint
    if len(lines) == 2:
        assert lines[1].startswith("hint: "), (case.id, err)
    line = errors[0]
    assert case.needle in line, (case.id, line)
    if case.starts:
        assert line.startswith(f"error: {case.starts}"), (case.id, line)
    assert "╭" not in err and "│" not in err, (case.id, err)  # no rich panel
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_user_mistake_is_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    _make_files(tmp_path, case.files)
    before = _snapshot(tmp_path)
    rc = main(case.argv)
    captured = capsys.readouterr()
    assert_one_error_line(rc, captured.out, captured.err, case)
    assert _snapshot(tmp_path) == before, case.id


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_console_script_shows_no_traceback(tmp_path, case_id):
    case = _BY_ID[case_id]
    _make_files(tmp_path, case.files)
    before = _snapshot(tmp_path)
    result = subprocess.run([str(SWEEP), *case.argv], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert_one_error_line(result.returncode, result.stdout, result.stderr, case)
    assert _snapshot(tmp_path) == before, case_id


# ---------------------------------------------------------------- what still works


def test_help_still_works(capsys):
    for argv in (["--help"], ["run", "--help"], ["data", "--help"], ["data", "generate", "--help"]):
        rc = main(argv)
        captured = capsys.readouterr()
        assert rc == 0, (argv, captured.err)
        assert "Usage" in captured.out and "error" not in captured.err, argv
    rc = main(["run", "--help"])
    assert "--n-trials" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["data"]], ids=["sweep", "sweep-data"])
def test_no_command_shows_help(capsys, argv):
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 2  # click's convention for a missing command; the help is what the user sees
    assert "Usage" in captured.out and "Commands" in captured.out
    assert "error" not in captured.err and "Traceback" not in captured.err


def test_console_script_help(tmp_path):
    result = subprocess.run([str(SWEEP), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Usage" in result.stdout and result.stderr == ""
    result = subprocess.run([str(SWEEP)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Usage" in result.stdout and "Traceback" not in result.stderr


def test_status_on_an_existing_storage_still_works(tmp_path, capsys):
    optuna_storage("q", complete=True)(tmp_path / "sweeps.db")
    assert main(["status", "--json"]) == 0
    assert '"study": "q"' in capsys.readouterr().out


def test_part_prefix_is_stored_as_the_full_name(tmp_path):
    from sweep.config import load_config

    study(hls4ml__part="XCVU9P")(tmp_path / "s.yaml")
    assert load_config(tmp_path / "s.yaml").hls4ml.part == "xcvu9p-flga2104-2L-e"


def test_data_task_is_known_without_loading_data():
    from sweep.config import load_config

    cfg = load_config(QUICKSTART)
    assert cfg.data.task == "classification"
    from sweep.objectives import OBJECTIVES

    assert all(cfg.data.task in OBJECTIVES[o.metric].tasks for o in cfg.objectives)
