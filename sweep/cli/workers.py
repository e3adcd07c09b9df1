"""Scale-out commands: ``sweep worker`` (join a stored study from any machine) and ``sweep storage-proxy``
(Optuna's gRPC storage proxy in front of a database, for hundreds of workers)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sweep.errors import UserError
from sweep.fleet import STORAGE_ENV, STUDY_ENV

console = Console(stderr=True)


def trial_line(study, trial) -> str:
    """One log line for a finished trial: its state and objective values, or its reason."""
    state = trial.state.name
    if state == "COMPLETE":
        values = ", ".join(f"{n}={v:.4g}" for n, v in zip(study.metric_names or [], trial.values))
        return f"trial {trial.number} COMPLETE: {values}"
    reason = trial.user_attrs.get("fail_reason") or trial.user_attrs.get("prune_reason", "")
    if not reason and state == "FAIL":
        reason = "its worker stopped or died (heartbeat lost); a retry, if any, carries retry_of"
    return f"trial {trial.number} {state}: {reason}"


def trial_progress() -> Progress:
    """The progress bar of trials every run shows: spinner, bar, done/total, elapsed, the current stage."""
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("{task.fields[stage]}"), console=console)


def worker(
    storage: Optional[str] = typer.Option(None, "--storage", envvar=STORAGE_ENV, show_envvar=False,
                                          help=f"storage URL of the study (or ${STORAGE_ENV})"),
    study_name: Optional[str] = typer.Option(None, "--study-name", envvar=STUDY_ENV, show_envvar=False,
                                             help=f"the study to join (or ${STUDY_ENV})"),
    n_trials: Optional[int] = typer.Option(None, "--n-trials", min=1, help="run at most N trials in this worker"),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1,
                                            help="start no new trial after S seconds (a running one finishes)"),
    until_total: Optional[int] = typer.Option(None, "--until-total", min=1,
                                              help="stop when the study has this many done trials "
                                                   "(default: the study's n_trials)"),
) -> None:
    """Join a stored study and run its trials, using only what is stored in it; start as many as you like,
    on any machines that reach the storage and the study's artifact store."""
    if not storage:
        raise UserError(f"give --storage URL (or set {STORAGE_ENV})")
    if not study_name:
        raise UserError(f"give --study-name NAME (or set {STUDY_ENV})")
    from sweep.storage import check_reachable, display_url, normalize_url, url_without_password

    check_reachable(normalize_url(storage))
    from sweep.study import join_study

    study, cfg = join_study(storage, study_name)
    total = until_total or cfg.n_trials
    try:
        _work(study, cfg, study_name, total, n_trials, timeout)
    except KeyboardInterrupt:
        console.print(f"interrupted: finished trials are kept in {display_url(storage)}; "
                      f"`sweep worker --storage {url_without_password(storage)} --study-name {study_name}` "
                      "continues")
        raise typer.Exit(130) from None


def _work(study, cfg, name: str, total: int, n_trials: int | None, timeout: float | None) -> None:
    from sweep.worker import run_worker, study_progress, worker_id

    before = study_progress(study)
    if before.done >= total:
        console.log(f"study {name!r} already has {before.done} done trials of {total}; nothing to run")
        return
    from sweep.data.prepare import prepare_data
    from sweep.study import TrialRunner, run_study

    data = prepare_data(cfg.data, progress=True)
    console.log(f"worker {worker_id()} joined {name!r}: {before.done}/{total} trials done, "
                f"{before.running} running elsewhere")
    with trial_progress() as progress:
        task = progress.add_task("study trials done", total=total, completed=before.done, stage="")

        def stage(number: int, what: str) -> None:
            progress.update(task, stage=f"trial {number}: {what}")

        def trial_end(study, trial) -> None:
            progress.update(task, completed=study_progress(study).done, stage="")
            console.log(trial_line(study, trial))

        def waiting(state) -> None:
            progress.update(task, completed=state.done, stage=f"waiting: the last {state.running} trial(s) run "
                                                             "in other workers")

        def outage(exc: BaseException) -> None:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            console.log(f"storage unreachable ({first[:120]}); retrying")

        runner = TrialRunner(cfg, data, Path(cfg.artifacts_dir) / name, stage=stage)
        start = time.perf_counter()
        with one_line_thread_errors():
            ran = run_worker(study, lambda: run_study(study, runner, 1, on_trial_end=trial_end), total=total,
                             n_trials=n_trials, timeout_s=timeout, on_wait=waiting, on_outage=outage,
                             dead_workers=cfg.workers)
    after = study_progress(study)
    console.log(f"worker ran {ran} trial(s) in {time.perf_counter() - start:.0f} s; study {name!r}: "
                f"{after.done}/{total} done ({after.complete} complete, {after.retried} retried after a dead worker)")


@contextmanager
def one_line_thread_errors() -> Iterator[None]:
    """Background threads (Optuna's heartbeat) report an exception as one log line, not a traceback: a
    database restart cuts their connection too, and the worker itself deals with the outage."""
    import threading

    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        text = str(args.exc_value).strip().splitlines()
        console.log(f"{args.thread.name if args.thread else 'thread'}: {args.exc_type.__name__}: "
                    f"{text[0][:120] if text else ''}")

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


def storage_proxy(
    storage: Optional[str] = typer.Option(None, "--storage", envvar=STORAGE_ENV, show_envvar=False,
                                          help=f"database URL the proxy serves (or ${STORAGE_ENV})"),
    host: str = typer.Option("localhost", "--host", help="address to listen on (0.0.0.0: all interfaces)"),
    port: int = typer.Option(13000, "--port", min=1, max=65535, help="port to listen on"),
) -> None:
    """Serve a PostgreSQL/SQLite storage through Optuna's gRPC storage proxy; workers then use
    ``--storage grpc://HOST:PORT`` (one database connection pool for all of them)."""
    if not storage:
        raise UserError(f"give --storage URL (or set {STORAGE_ENV})")
    from sweep.storage import check_grpc_available, display_url, proxy_backend, serve_storage_proxy, storage_kind

    if storage_kind(storage) != "rdb":
        raise UserError(f"storage {display_url(storage)!r}: the proxy serves a database (sqlite or postgresql URL)")
    check_grpc_available()
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"port {port} on {host} cannot be used: {exc.strerror or exc}") from None
    backend = proxy_backend(storage)
    console.log(f"storage proxy for {display_url(storage)} on grpc://{host}:{port} (Ctrl-C stops it)")
    try:
        serve_storage_proxy(backend, host, port)
    except KeyboardInterrupt:
        console.log("storage proxy stopped")
