"""Benchmark: many workers x cheap trials on one PostgreSQL study, directly and through the gRPC storage proxy.

Starts a throwaway PostgreSQL (tests/postgres_server.py) and, for each mode, a fresh study that N worker
processes fill with M trials in all. A trial is a no-op objective (two suggested floats), so its wall time
is the storage's own cost: create, two parameters, heartbeat, result. Workers open the storage the way
``sweep worker`` does (``sweep.storage.open_storage`` with heartbeats and the dead-worker retry) and stop
with the same rule (``sweep.worker.run_worker``: until the study has M done trials). Prints one JSON object
per mode: ``{"mode", "workers", "trials", "seconds", "trials_per_s", "storage_ms_per_trial", "lost",
"duplicated", "complete"}`` where ``storage_ms_per_trial`` = workers x seconds / trials (each worker's
time per trial), ``lost`` = M - done trials and ``duplicated`` = trial numbers seen twice.
Mode ``breakdown`` (one worker in this process, M trials) prints where a trial's time goes instead:
``{"optimize_ms", "progress_ms", "fail_stale_ms"}`` per trial (Optuna's ``study.optimize`` of the no-op
trial, the stopping rule's ``study_progress``, the stale-trial check).
Run: .venv/bin/python bench/storage_scale.py [--workers 16] [--trials 5000] [--modes direct,proxy,breakdown]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _objective(trial) -> float:
    return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_float("y", -1, 1) ** 2


def _worker(url: str, name: str, total: int, barrier) -> None:
    import optuna

    from sweep.config import WorkersConfig
    from sweep.storage import open_storage
    from sweep.worker import run_worker

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = open_storage(url, create=False, workers=WorkersConfig(heartbeat_interval_s=60, grace_period_s=180))
    study = optuna.load_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler())
    barrier.wait()
    run_worker(study, lambda: study.optimize(_objective, n_trials=1), total=total, poll_s=0.2)


def measure(mode: str, db_url: str, workers: int, trials: int) -> dict:
    import optuna

    from sweep.storage import open_storage

    name = f"scale_{mode}"
    optuna.create_study(study_name=name, storage=open_storage(db_url))
    url, proxy = db_url, None
    if mode == "proxy":
        from postgres_server import free_port

        port = free_port()
        proxy = multiprocessing.Process(target=_serve_proxy, args=(db_url, port), daemon=True)
        proxy.start()
        url = f"grpc://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
    barrier = multiprocessing.Barrier(workers + 1)
    processes = [multiprocessing.Process(target=_worker, args=(url, name, trials, barrier)) for _ in range(workers)]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    for process in processes:
        process.join()
    seconds = time.perf_counter() - start
    if proxy is not None:
        proxy.terminate()
    study = optuna.load_study(study_name=name, storage=open_storage(db_url))
    numbers = [t.number for t in study.get_trials(deepcopy=False)]
    done = sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))
    return {"mode": mode, "workers": workers, "trials": trials, "seconds": round(seconds, 2),
            "trials_per_s": round(len(numbers) / seconds, 1),
            "storage_ms_per_trial": round(1000 * workers * seconds / max(len(numbers), 1), 2),
            "lost": max(trials - done, 0), "extra": max(done - trials, 0),
            "duplicated": len(numbers) - len(set(numbers)),
            "complete": sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False)),
            "worker_exit_codes": sorted({p.exitcode for p in processes})}


def _serve_proxy(db_url: str, port: int) -> None:
    import optuna

    from sweep.storage import proxy_backend, serve_storage_proxy

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    serve_storage_proxy(proxy_backend(db_url), "127.0.0.1", port)  # as `sweep storage-proxy` serves it


def breakdown(db_url: str, trials: int) -> dict:
    """Per-trial milliseconds of each step a worker repeats, timed one after another in this process."""
    import optuna
    from optuna.storages._heartbeat import fail_stale_trials

    from sweep.config import WorkersConfig
    from sweep.storage import open_storage
    from sweep.worker import study_progress

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name="breakdown", storage=open_storage(db_url))
    storage = open_storage(db_url, create=False, workers=WorkersConfig(heartbeat_interval_s=60, grace_period_s=180))
    study = optuna.load_study(study_name="breakdown", storage=storage, sampler=optuna.samplers.RandomSampler())
    spent = {"optimize_ms": 0.0, "progress_ms": 0.0, "fail_stale_ms": 0.0}
    for _ in range(trials):
        for key, step in (("optimize_ms", lambda: study.optimize(_objective, n_trials=1)),
                          ("progress_ms", lambda: study_progress(study)), ("fail_stale_ms", lambda: fail_stale_trials(study))):
            start = time.perf_counter()
            step()
            spent[key] += time.perf_counter() - start
    return {"mode": "breakdown", "trials": trials, **{k: round(1000 * v / trials, 1) for k, v in spent.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--modes", default="direct,proxy")
    args = parser.parse_args()
    from postgres_server import postgres_server

    multiprocessing.set_start_method("spawn")
    with postgres_server() as server:
        for mode in args.modes.split(","):
            result = breakdown(server.url, args.trials) if mode == "breakdown" else measure(
                mode, server.url, args.workers, args.trials)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
