"""sweep/leases.py: heartbeats for the journal file and the gRPC proxy, where Optuna 5.0 keeps none."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from sweep.config import WorkersConfig
from sweep.leases import HEARTBEAT_ATTR, fail_stale_leases, needs_leases, trial_heartbeat
from sweep.storage import RETRY_OF_ATTR


def _worker_view(log: Path) -> optuna.Study:
    """The study as one worker process sees it: its own JournalStorage on the shared file."""
    return optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(log))))


def test_a_stale_trial_is_failed_and_retried_once_however_many_workers_notice(tmp_path: Path) -> None:
    log = tmp_path / "journal.log"
    optuna.create_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(log))))
    dead_worker, alive_worker = _worker_view(log), _worker_view(log)
    stale = dead_worker.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    fresh = alive_worker.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    dead_worker._storage.set_trial_system_attr(stale._trial_id, HEARTBEAT_ATTR, time.time() - 100)
    alive_worker._storage.set_trial_system_attr(fresh._trial_id, HEARTBEAT_ATTR, time.time())
    assert needs_leases(dead_worker)

    settings = WorkersConfig(heartbeat_interval_s=10, grace_period_s=30, max_retry=2)
    noticed = [fail_stale_leases(view, settings) for view in (_worker_view(log), _worker_view(log))]
    assert sorted(noticed) == [[], [stale.number]]  # one worker fails it; the other finds it finished
    trials = _worker_view(log).get_trials(deepcopy=False)
    states = {t.number: t.state for t in trials}
    assert states[stale.number] == TrialState.FAIL and states[fresh.number] == TrialState.RUNNING
    retries = [t for t in trials if t.user_attrs.get(RETRY_OF_ATTR) == stale.number]
    assert len(retries) == 1 and retries[0].state == TrialState.WAITING
    assert retries[0].params == {"x": stale.params["x"]}


def test_the_heartbeat_thread_beats_while_the_trial_runs_and_stops_after(tmp_path: Path) -> None:
    study = optuna.create_study(storage=JournalStorage(JournalFileBackend(str(tmp_path / "j.log"))))
    trial = study.ask()
    with trial_heartbeat(trial, 0.05):
        first = study._storage.get_trial(trial._trial_id).system_attrs[HEARTBEAT_ATTR]
        time.sleep(0.3)
        later = study._storage.get_trial(trial._trial_id).system_attrs[HEARTBEAT_ATTR]
    assert later > first  # beat again while running
    time.sleep(0.2)
    assert study._storage.get_trial(trial._trial_id).system_attrs[HEARTBEAT_ATTR] == later  # and stopped
