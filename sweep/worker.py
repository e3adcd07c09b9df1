"""Workers sharing one study: how far the study is, and the loop one worker runs until it is done.

Any number of worker processes, on any machines, run trials of the same study through its storage. A
trial whose worker died is failed by whoever notices its stale heartbeat first and retried as a new trial
(:class:`sweep.storage.RetryDeadWorkerTrial`); such a failed-and-retried trial does not count as done.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import optuna
from optuna.storages._heartbeat import fail_stale_trials, is_heartbeat_enabled
from optuna.trial import TrialState
from sqlalchemy.exc import InterfaceError, OperationalError

from sweep.errors import UserError
from sweep.storage import HeartbeatSettings

#: Trial user attribute naming the worker process that ran it (``host:pid``).
WORKER_ATTR = "worker"


def worker_id() -> str:
    """This process as ``host:pid`` (recorded on each trial it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class StudyProgress:
    """Trial counts of a study shared by workers. ``done``: finished trials (COMPLETE, PRUNED, FAIL) that
    were not retried; ``retried``: FAIL trials of dead workers that a later trial retries."""

    done: int
    complete: int
    running: int
    waiting: int
    retried: int
    failed: int

    @property
    def settled(self) -> int:
        """Trials done or being run now."""
        return self.done + self.running


def study_progress(study: optuna.Study) -> StudyProgress:
    """Count the study's trials as workers see them (see :class:`StudyProgress`).

    One read of the trials through Optuna's trial cache (a loaded study's RDB storage is wrapped in it):
    finished trials come from memory, only running and new ones from the database. Five per-state
    ``COUNT`` queries cost more (67 ms against a few ms per check at 150 trials, profiled on PostgreSQL)."""
    trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
    counts = dict.fromkeys(TrialState, 0)
    for trial in trials:
        counts[trial.state] += 1
    retried: set[int] = set()
    if counts[TrialState.FAIL]:
        retried = {number for t in trials for number in t.system_attrs.get("retry_history", ())}
        retried &= {t.number for t in trials if t.state == TrialState.FAIL}
    finished = counts[TrialState.COMPLETE] + counts[TrialState.PRUNED] + counts[TrialState.FAIL]
    return StudyProgress(
        done=finished - len(retried),
        complete=counts[TrialState.COMPLETE],
        running=counts[TrialState.RUNNING],
        waiting=counts[TrialState.WAITING],
        retried=len(retried),
        failed=counts[TrialState.FAIL] - len(retried),
    )


#: Errors that mean "the storage is not reachable right now" (a database restart, a network cut).
STORAGE_ERRORS: tuple[type[BaseException], ...] = (optuna.exceptions.StorageInternalError, OperationalError,
                                                   InterfaceError, ConnectionError)


class StorageUnavailable(UserError):
    """The storage stayed unreachable longer than the worker waits for it (exit status 1: not a mistake)."""

    exit_code = 1


def run_worker(study: optuna.Study, run_one: Callable[[], None], total: int | None = None,
               n_trials: int | None = None, timeout_s: float | None = None, poll_s: float = 2.0,
               on_wait: Callable[[StudyProgress], None] = lambda progress: None,
               on_outage: Callable[[BaseException], None] = lambda exc: None,
               outage_limit_s: float = 300.0, dead_workers: HeartbeatSettings | None = None) -> int:
    """Run trials one at a time (``run_one``) until the study has ``total`` done trials, this worker has run
    ``n_trials``, or ``timeout_s`` has passed (a trial already started finishes). Returns the trials run.

    When the remaining trials are all running elsewhere the worker waits (``poll_s``) instead of starting
    more, so the study does not overshoot ``total``; if one of those workers dies, its trial turns stale
    after the grace period, is failed and retried, and this worker runs the retry. Storages without
    Optuna's heartbeats (journal, proxy) are watched through the trials' own beats (:mod:`sweep.leases`)
    with the ``dead_workers`` settings; without those settings the worker leaves instead of waiting. A
    storage outage (database restart) is waited out (``on_outage`` each attempt; a trial cut off by it turns stale and is retried) for up to
    ``outage_limit_s``, then :class:`StorageUnavailable`.
    """
    start = time.monotonic()
    ran = 0
    heartbeats = is_heartbeat_enabled(study._storage)
    outage_since: float | None = None
    while True:
        if n_trials is not None and ran >= n_trials:
            break
        if timeout_s is not None and time.monotonic() - start >= timeout_s:
            break
        try:
            action, progress = _next_action(study, total, heartbeats, dead_workers)
            if action == "stop":
                break
            if action == "wait":
                on_wait(progress)
                time.sleep(poll_s)
            else:
                ran += 1
                run_one()
            outage_since = None
        except STORAGE_ERRORS as exc:
            outage_since = outage_since if outage_since is not None else time.monotonic()
            if time.monotonic() - outage_since > outage_limit_s:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StorageUnavailable(f"the storage stayed unreachable for {outage_limit_s:.0f} s ({first}); "
                                         "finished trials are kept: start the worker again") from None
            on_outage(exc)
            time.sleep(min(poll_s * 2, 10.0))
    return ran


def _next_action(study: optuna.Study, total: int | None, heartbeats: bool,
                 dead_workers: HeartbeatSettings | None = None) -> tuple[str, StudyProgress | None]:
    """``run`` a trial, ``wait`` for the last ones running elsewhere, or ``stop``."""
    if heartbeats:
        with warnings.catch_warnings():  # "experimental" in Optuna 5
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            fail_stale_trials(study)
    elif dead_workers is not None:
        from sweep.leases import fail_stale_leases

        fail_stale_leases(study, dead_workers)
        heartbeats = True  # a dead worker's trial will be failed and retried: waiting for it is safe
    if total is None:
        return "run", None
    progress = study_progress(study)
    if progress.done >= total:
        return "stop", progress
    if progress.waiting == 0 and progress.settled >= total:
        return ("wait" if heartbeats else "stop"), progress
    return "run", progress
