"""``sweep`` study commands: user mistakes are one line ``error: …`` on stderr and exit status 2.

The table of user mistakes (bad study files, bad storage URLs, missing storages, usage errors, …) is
tests/test_user_mistakes.py; this file keeps the cases that need more than one command or assertion.

Nothing here trains or converts: ``run`` is stopped by a bad storage before any work (and ``_run`` is
replaced by a tripwire so a wrongly accepted URL fails the test instead of starting a study).
"""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
import yaml

from sweep.cli import main
from sweep.errors import UserError
from sweep.samplers import SAMPLERS, make_sampler

QUICKSTART = Path(__file__).resolve().parents[1] / "studies" / "quickstart.yaml"

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Run every command from an empty folder, and never let ``run`` start a study."""
    monkeypatch.chdir(tmp_path)

    def tripwire(*args, **kwargs):
        raise AssertionError("run went past the storage check and would have started a study")

    monkeypatch.setattr("sweep.cli.study._run", tripwire)


def _quickstart() -> dict:
    return yaml.safe_load(QUICKSTART.read_text())


def _write(path: Path, doc) -> Path:
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


def assert_one_line_error(capsys, rc: int, *needles: str) -> str:
    captured = capsys.readouterr()
    assert rc == 2, (rc, captured.out, captured.err)
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------- validate

def test_validate_quickstart(capsys):
    rc = main(["validate", str(QUICKSTART)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "error" not in captured.err
    name = _quickstart()["name"]
    assert name in captured.out
    for objective in _quickstart()["objectives"]:
        assert objective in captured.out


def test_validate_mlp_file(tmp_path, capsys):
    doc = _quickstart()
    doc["model"]["family"] = "mlp"
    doc["space"] = {"n_layers": [1, 2], "width": [8, 16]}
    rc = main(["validate", str(_write(tmp_path / "mlp.yaml", doc))])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "n_layers" in captured.out


# ---------------------------------------------------------------- run: bad storage


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.fixture
def study_file(tmp_path) -> Path:
    return _write(tmp_path / "study.yaml", _quickstart())


def test_run_existing_non_sqlite_file_as_storage(tmp_path, capsys, study_file):
    junk = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n"
    junk.write_bytes(content)
    before = _files(tmp_path)
    rc = main(["run", str(study_file), "--storage", f"sqlite:///{junk}"])
    assert_one_line_error(capsys, rc, "not an SQLite database")
    assert junk.read_bytes() == content
    assert _files(tmp_path) == before


def test_run_folder_as_sqlite_file(tmp_path, capsys, study_file):
    (tmp_path / "dir.db").mkdir()
    rc = main(["run", str(study_file), "--storage", f"sqlite:///{tmp_path / 'dir.db'}"])
    assert_one_line_error(capsys, rc, "folder")


def test_run_without_file_or_study(capsys):
    rc = main(["run"])
    assert_one_line_error(capsys, rc, "--storage", "--study-name")


@pytest.mark.parametrize("args", [["--storage", "sqlite:///x.db"], ["--study-name", "q"]])
def test_run_with_only_half_of_a_stored_study(tmp_path, capsys, args):
    rc = main(["run", *args])
    assert_one_line_error(capsys, rc)
    assert not (tmp_path / "x.db").exists()


def test_run_missing_study_file(tmp_path, capsys):
    rc = main(["run", str(tmp_path / "nope.yaml"), "--storage", f"sqlite:///{tmp_path / 'x.db'}"])
    assert_one_line_error(capsys, rc, "nope.yaml")
    assert not (tmp_path / "x.db").exists()


def test_run_unknown_synth_estimator_before_any_work(tmp_path, capsys, study_file):
    rc = main(["run", str(study_file), "--storage", f"sqlite:///{tmp_path / 'x.db'}", "--synth-top", "1",
               "--synth-estimator", "magic"])
    assert_one_line_error(capsys, rc, "--synth-estimator", "magic")
    assert not (tmp_path / "x.db").exists()


def test_synth_unknown_estimator(tmp_path, capsys):
    rc = main(["synth", "--storage", f"sqlite:///{tmp_path / 'x.db'}", "--study-name", "q", "--estimator", "magic"])
    assert_one_line_error(capsys, rc, "--estimator", "magic")


def _fresh_storage(path: Path) -> str:
    """An Optuna storage with no study yet (read-only commands refuse a missing SQLite file)."""
    url = f"sqlite:///{path}"
    optuna.storages.RDBStorage(url)
    return url


def test_continue_unknown_study(tmp_path, capsys):
    rc = main(["run", "--storage", _fresh_storage(tmp_path / "fresh.db"), "--study-name", "ghost"])
    assert_one_line_error(capsys, rc, "'ghost'")


def test_continue_study_not_made_by_hls_sweep(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    optuna.create_study(study_name="foreign", storage=url)
    rc = main(["run", "--storage", url, "--study-name", "foreign"])
    assert_one_line_error(capsys, rc, "'foreign'")


# ---------------------------------------------------------------- pareto / status


def test_pareto_missing_study(tmp_path, capsys):
    rc = main(["pareto", "--study-name", "missing", "--storage", _fresh_storage(tmp_path / "empty.db")])
    assert_one_line_error(capsys, rc, "'missing'")


def test_status_fresh_storage(tmp_path, capsys):
    rc = main(["status", "--storage", _fresh_storage(tmp_path / "fresh.db"), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert json.loads(captured.out) == []


def test_status_lists_studies(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'some.db'}"
    study = optuna.create_study(study_name="alpha", storage=url, directions=["minimize", "maximize"])
    study.set_metric_names(["bops", "emulated_accuracy"])
    study.add_trial(optuna.trial.create_trial(values=[1.0, 0.5], params={}, distributions={}))
    study.add_trial(optuna.trial.create_trial(values=[2.0, 0.9], params={}, distributions={}))
    study.add_trial(optuna.trial.create_trial(values=[3.0, 0.4], params={}, distributions={}))  # dominated
    rc = main(["status", "--storage", url, "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    (row,) = json.loads(captured.out)
    assert row["study"] == "alpha" and row["trials"] == 3 and row["complete"] == 3
    assert row["pareto"] == 2
    assert row["objectives"] == ["bops", "emulated_accuracy"]


def test_status_table_on_fresh_storage(tmp_path, capsys):
    rc = main(["status", "--storage", _fresh_storage(tmp_path / "fresh.db")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "error" not in captured.err


# ---------------------------------------------------------------- samplers


def _torch_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is None


#: The GP sampler needs PyTorch, which the pinned stack leaves out.
USABLE_SAMPLERS = sorted(n for n in SAMPLERS if not (n == "gp" and _torch_missing()))


@pytest.mark.skipif(not _torch_missing(), reason="PyTorch is installed here")
def test_gp_without_torch_is_a_one_line_user_error():
    with pytest.raises(UserError) as info:
        make_sampler("gp", 0, {})
    assert str(info.value).startswith("sampler.options") and "PyTorch" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", USABLE_SAMPLERS)
def test_every_sampler_builds_and_uses_its_seed(name):
    def first_point(seed):
        # the grid sampler samples only its grid (built from the study's space in a real study)
        grid = {"search_space": {"x": [0.0, 0.25, 0.5, 0.75, 1.0], "k": list(range(0, 10**6, 10**4))}}
        sampler = make_sampler(name, seed, grid if name == "grid" else {})
        assert isinstance(sampler, optuna.samplers.BaseSampler)
        study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
        trial = study.ask()
        return trial.suggest_float("x", 0.0, 1.0), trial.suggest_int("k", 0, 10**6)

    assert first_point(0) == first_point(0)
    assert first_point(0) != first_point(1)


@pytest.mark.parametrize("name", USABLE_SAMPLERS)
def test_unknown_sampler_option_is_user_error(name):
    with pytest.raises(UserError) as info:
        make_sampler(name, 0, {"no_such_option": 1})
    assert str(info.value).startswith("sampler.options")
    assert "no_such_option" in str(info.value) and "\n" not in str(info.value)


def test_valid_sampler_option_is_passed_on():
    sampler = make_sampler("nsga2", 0, {"population_size": 6})
    assert isinstance(sampler, optuna.samplers.NSGAIISampler)
    with pytest.raises(UserError):
        make_sampler("random", 0, {"population_size": 6})  # an option of another sampler


def test_bad_sampler_option_value_is_user_error():
    with pytest.raises(UserError):
        make_sampler("nsga2", 0, {"population_size": 1})
