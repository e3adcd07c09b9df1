"""``sweep run --jobs N``: N local ``sweep worker`` processes on one study, watched from one progress view.

Each worker is a separate process (its own TensorFlow, its own hardware-stage process) started as
``python -m sweep.cli worker``; the storage URL reaches it through the environment (``HLS_SWEEP_STORAGE``),
so a password never shows in a process list. Each worker's output goes to ``<log_dir>/worker-<i>.log``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import optuna

from sweep.worker import StudyProgress, study_progress

#: Environment variables ``sweep worker`` reads its storage URL and study name from.
STORAGE_ENV = "HLS_SWEEP_STORAGE"
STUDY_ENV = "HLS_SWEEP_STUDY"


@dataclass
class LocalWorker:
    index: int
    process: subprocess.Popen
    log: Path


def start_workers(storage_url: str, study_name: str, jobs: int, total: int, log_dir: Path) -> list[LocalWorker]:
    """Start ``jobs`` worker processes that work until the study has ``total`` done trials."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, STORAGE_ENV: storage_url, STUDY_ENV: study_name}
    workers = []
    for index in range(jobs):
        log = log_dir / f"worker-{index}.log"
        with open(log, "ab") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "sweep.cli", "worker", "--until-total", str(total)],
                env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        workers.append(LocalWorker(index, process, log))
    return workers


def watch(study: optuna.Study, workers: list[LocalWorker], on_progress: Callable[[StudyProgress, int], None],
          on_finished: Callable[[optuna.trial.FrozenTrial], None], poll_s: float = 1.0) -> list[LocalWorker]:
    """Poll the study until every worker has exited: ``on_progress(progress, alive)`` each poll,
    ``on_finished(trial)`` once per trial that finished meanwhile. Returns the workers that failed."""
    seen = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
    while True:
        alive = sum(w.process.poll() is None for w in workers)
        for trial in study.get_trials(deepcopy=False):
            if trial.state.is_finished() and trial.number not in seen:
                seen.add(trial.number)
                on_finished(trial)
        on_progress(study_progress(study), alive)
        if alive == 0:
            return [w for w in workers if w.process.returncode != 0]
        time.sleep(poll_s)


def stop_workers(workers: list[LocalWorker], grace_s: float = 30.0) -> None:
    """Interrupt every running worker (its trial is recorded as failed), kill those still there after
    ``grace_s``."""
    import signal

    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace_s
    for worker in workers:
        try:
            worker.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
