"""Opening a study: stored config, enqueued reference designs, continuing, objective mismatch."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from sweep.config import load_config
from sweep.errors import UserError
from sweep.study import open_study, stored_config

STUDIES = Path(__file__).parent.parent / "studies"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating a study creates its artifact store (``<artifacts_dir>/artifact_store``, relative here)."""
    monkeypatch.chdir(tmp_path)


def test_artifact_store_is_made_absolute_and_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(STUDIES / "quickstart.yaml")
    study, _ = open_study(cfg, f"sqlite:///{tmp_path / 's.db'}", "q")
    assert study.user_attrs["artifact_store"] == str(tmp_path / "hls_projects" / "artifact_store")
    assert (tmp_path / "hls_projects" / "artifact_store").is_dir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a joining worker in another folder uses the recorded store, makes none of its own
    again, created = open_study(cfg, f"sqlite:///{tmp_path / 's.db'}", "q")
    assert not created and again.user_attrs["artifact_store"] == study.user_attrs["artifact_store"]
    assert list(elsewhere.iterdir()) == []


def test_reference_designs_are_enqueued_once(tmp_path: Path) -> None:
    cfg = load_config(STUDIES / "deepsets_jets.yaml")
    url = f"sqlite:///{tmp_path / 's.db'}"
    study, created = open_study(cfg, url, "ref")
    assert created
    waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    assert [t.system_attrs["fixed_params"] for t in waiting] == cfg.enqueue
    assert len(waiting) == len(cfg.enqueue) == 4

    again, created = open_study(cfg, url, "ref")
    assert not created
    assert len(again.trials) == 4  # reopening does not enqueue twice


def test_config_is_stored_in_the_study(tmp_path: Path) -> None:
    cfg = load_config(STUDIES / "mlp_jets.yaml")
    url = f"sqlite:///{tmp_path / 's.db'}"
    open_study(cfg, url, "mlp")
    restored = stored_config(url, "mlp")
    assert restored == cfg
    assert restored.data.representation == "hlf"


def test_other_objectives_under_the_same_name_are_refused(tmp_path: Path) -> None:
    cfg = load_config(STUDIES / "quickstart.yaml")
    url = f"sqlite:///{tmp_path / 's.db'}"
    open_study(cfg, url, "q")
    changed = cfg.model_copy(update={"objectives": cfg.objectives[:2]})
    with pytest.raises(UserError, match="other objectives"):
        open_study(changed, url, "q")


def test_missing_study_is_a_user_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    optuna.storages.RDBStorage(url)  # an existing storage without that study (a missing file is refused earlier)
    with pytest.raises(UserError, match="no study 'nope'"):
        stored_config(url, "nope")
