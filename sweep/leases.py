"""Heartbeats for the storages Optuna keeps none for: the journal file and the gRPC storage proxy.

On an RDB storage Optuna records each running trial's heartbeat itself and fails stale trials
(``fail_stale_trials``). Its journal and gRPC storages have no heartbeat in Optuna 5.0, so a worker that
dies there would leave its trial RUNNING for good. Here a worker beats instead into the trial's system
attribute :data:`HEARTBEAT_ATTR` (Unix time, from a daemon thread while the trial runs), and every worker
checks, before each trial, for RUNNING trials whose last beat is older than the grace period: it fails
them (the storage lets exactly one worker do so) and hands each to the same retry as on an RDB
(:class:`sweep.storage.RetryDeadWorkerTrial`). The beats use the workers' wall clocks, so machines that
share a journal or a proxy need synchronised clocks (NTP), well within the grace period.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.trial import FrozenTrial, TrialState

from sweep.storage import HeartbeatSettings, RetryDeadWorkerTrial

#: Trial system attribute: Unix time of the running trial's last heartbeat.
HEARTBEAT_ATTR = "sweep:heartbeat"


def needs_leases(study: optuna.Study) -> bool:
    """True when the study's storage keeps no heartbeats of its own (journal file, gRPC proxy)."""
    return not is_heartbeat_enabled(study._storage)


@contextmanager
def trial_heartbeat(trial: optuna.Trial, interval_s: float) -> Iterator[None]:
    """Beat for ``trial`` now and every ``interval_s`` until the block ends. A beat that cannot be written
    (the storage briefly unreachable) is skipped; the trial's own writes report a lasting outage."""
    storage, trial_id = trial.storage, trial._trial_id
    stop = threading.Event()

    def beat() -> None:
        storage.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())

    def loop() -> None:
        while not stop.wait(interval_s):
            try:
                beat()
            except Exception:  # noqa: BLE001 - the next beat tries again
                continue

    beat()
    thread = threading.Thread(target=loop, name=f"sweep-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def with_heartbeat(objective: Callable[[optuna.Trial], Any], interval_s: float) -> Callable[[optuna.Trial], Any]:
    """``objective`` running inside :func:`trial_heartbeat`."""

    def beating(trial: optuna.Trial) -> Any:
        with trial_heartbeat(trial, interval_s):
            return objective(trial)

    return beating


def last_beat(trial: FrozenTrial) -> float:
    """Unix time of the trial's last heartbeat (its start when it never beat)."""
    beat = trial.system_attrs.get(HEARTBEAT_ATTR)
    if beat is not None:
        return float(beat)
    return trial.datetime_start.timestamp() if trial.datetime_start else time.time()


def fail_stale_leases(study: optuna.Study, settings: HeartbeatSettings) -> list[int]:
    """Fail the RUNNING trials whose last beat is older than ``settings.grace_period_s`` and retry each one
    this call failed (:class:`~sweep.storage.RetryDeadWorkerTrial`, at most ``settings.max_retry`` times);
    returns their numbers. Another worker failing the same trial first is not an error: the storage refuses
    the second update and that trial is skipped here."""
    grace_period_s = settings.grace_period_s
    on_stale = RetryDeadWorkerTrial(settings.max_retry, grace_period_s)
    storage, now = study._storage, time.time()
    failed: list[int] = []
    for trial in storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.RUNNING,)):
        if now - last_beat(trial) <= grace_period_s:
            continue
        try:
            if not storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:
            continue
        failed.append(trial.number)
        on_stale(study, storage.get_trial(trial._trial_id))
    return failed
