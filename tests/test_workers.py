"""Scale-out (issue 12): `sweep worker` fleets and `sweep run --jobs` on a real PostgreSQL (started here),
SQLite and Optuna's journal file; a worker killed with SIGKILL mid-trial (its trial failed after the grace
period and retried, its hardware process gone with it); a new worker from another folder with only the URL;
a PostgreSQL restart mid-study. Every trial is a real one: a tiny DeepSets, one epoch, hls4ml conversion and
numpy emulation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import optuna
import pytest
import yaml

from postgres_server import postgres_bin, postgres_server, server_user_missing
from tiny_study import tiny_study
from sweep.worker import study_progress

needs_postgres = [
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server binaries are not installed"),
    pytest.mark.skipif(server_user_missing(), reason="running as root without a 'postgres' user to start the server"),
]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
SWEEP = [sys.executable, "-m", "sweep.cli"]


def load(url: str, name: str = "fleet") -> optuna.Study:
    from sweep.storage import open_storage

    return optuna.load_study(study_name=name, storage=open_storage(url, create=False))


def run(args: list[str], cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([*SWEEP, *args], env=ENV, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def check_every_trial_once(study: optuna.Study, n_trials: int, extra: int = 0) -> None:
    """None lost, none numbered twice, every one complete; up to ``extra`` more than ``n_trials`` (workers that
    read the count at the same moment each start one, as with Optuna's own MaxTrialsCallback)."""
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers)) == len(trials)
    assert sorted(numbers) == list(range(len(numbers)))
    states = [t.state.name for t in trials]
    shown = [(t.number, t.state.name, t.user_attrs.get("fail_reason")) for t in trials]
    assert n_trials <= states.count("COMPLETE") <= n_trials + extra, shown
    progress = study_progress(study)
    assert states.count("COMPLETE") == progress.done and len(trials) == progress.done + progress.retried, shown


# ------------------------------------------------------------------------------------------- fleets
FLEETS = [  # storage, worker processes, trials
    ("postgresql", 4, 8),
    pytest.param("postgresql", 4, 40, marks=pytest.mark.slow),  # the size: 2.4 min on 2 cores
    ("sqlite", 3, 6),
    ("journal", 2, 4),
    # Optuna's gRPC storage proxy (`sweep storage-proxy`) in front of PostgreSQL; in the default run the proxy
    # is exercised by test_proxy_serves_several_processes (no-op trials, seconds instead of a minute)
    pytest.param("grpc", 2, 4, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("storage, jobs, n_trials", FLEETS)
def test_run_jobs_finishes_every_trial_once(tmp_path: Path, quickstart_dir: Path, storage: str, jobs: int,
                                            n_trials: int) -> None:
    """`sweep run --jobs N`: N worker processes, one progress view, no trial lost or numbered twice, no
    "database is locked" on SQLite."""
    if storage in ("postgresql", "grpc"):
        for mark in needs_postgres:
            if mark.args[0]:
                pytest.skip(mark.kwargs["reason"])
    with _storage(storage, tmp_path) as url:
        study_file = tiny_study(tmp_path, url, quickstart_dir, n_trials)
        done = run(["run", str(study_file), "--jobs", str(jobs)])
        assert done.returncode == 0, done.stderr[-3000:]
        study = load(url)
        check_every_trial_once(study, n_trials, extra=jobs - 1)
        trials = study.get_trials(deepcopy=False)
        workers = {t.user_attrs["worker"] for t in trials}
        assert 2 <= len(workers) <= jobs  # several processes really ran trials
        seeds = {t.user_attrs["sampler_seed"] for t in trials}
        assert len(seeds) == len(workers) and 3 not in seeds  # each joining worker samples with its own seed
        logs = sorted((tmp_path / "projects" / "fleet" / "workers").glob("worker-*.log"))
        assert len(logs) == jobs
        text = done.stderr + "".join(log.read_text() for log in logs)
        assert "database is locked" not in text and "Traceback" not in text
        assert f"{len(trials)} trials in" in done.stderr and "Pareto front" in done.stdout


def _storage(kind: str, tmp_path: Path):
    @contextmanager
    def make():
        if kind == "postgresql":
            with postgres_server() as server:
                yield server.url
        elif kind == "grpc":
            with postgres_server() as server, storage_proxy(server.url) as url:
                yield url
        elif kind == "sqlite":
            yield f"sqlite:///{tmp_path / 'trials.db'}"
        else:
            yield f"journal:///{tmp_path / 'trials.log'}"

    return make()


@contextmanager
def storage_proxy(database_url: str) -> Iterator[str]:
    """`sweep storage-proxy` in front of ``database_url`` (the URL reaches it through the environment);
    yields its ``grpc://`` URL once it accepts connections, stops it afterwards."""
    from postgres_server import free_port

    port = free_port()
    proxy = subprocess.Popen([*SWEEP, "storage-proxy", "--host", "127.0.0.1", "--port", str(port)],
                             env={**ENV, "HLS_SWEEP_STORAGE": database_url}, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: _listening(port) or proxy.poll() is not None, 60, "the storage proxy")
        assert proxy.poll() is None, proxy.stdout.read() if proxy.stdout else ""
        yield f"grpc://127.0.0.1:{port}"
    finally:
        proxy.send_signal(signal.SIGINT)
        try:
            proxy.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proxy.kill()


def test_proxy_serves_several_processes(tmp_path: Path) -> None:
    """`sweep storage-proxy` in front of SQLite; two processes each run 10 no-op trials of one study through
    it (Optuna's stubs on the pinned protobuf, sweep/protobuf_compat.py): 20 trials, none numbered twice."""
    database = f"sqlite:///{tmp_path / 'behind.db'}"
    code = ("import sys, optuna\n"
            "from sweep.storage import open_storage\n"
            "optuna.logging.set_verbosity(optuna.logging.ERROR)\n"
            "study = optuna.create_study(study_name='p', storage=open_storage(sys.argv[1]), load_if_exists=True)\n"
            "study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=10)\n")
    with storage_proxy(database) as url:
        runs = [subprocess.Popen([sys.executable, "-c", code, url], env=ENV, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        errors = [run.communicate(timeout=300)[1] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], errors
        numbers = sorted(t.number for t in load(url, "p").get_trials(deepcopy=False))
    assert numbers == list(range(20))
    assert all(t.state.name == "COMPLETE" for t in load(database, "p").get_trials(deepcopy=False))


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------------------- dead workers
def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.mark.parametrize("storage", ["sqlite", "postgresql", "journal", pytest.param("grpc", marks=pytest.mark.slow)])
def test_killed_worker_trial_is_failed_and_retried(tmp_path: Path, quickstart_dir: Path, storage: str) -> None:
    """kill -9 of a worker mid-trial: its hardware process goes with it; after the grace period the trial is
    FAIL and retried (``retry_of``) by a new worker started elsewhere with only the URL; the study reaches
    n_trials. On the journal and through the proxy the trial's own beats stand in for Optuna's heartbeat
    (sweep/leases.py)."""
    if storage in ("postgresql", "grpc"):
        for mark in needs_postgres:
            if mark.args[0]:
                pytest.skip(mark.kwargs["reason"])
    with _storage(storage, tmp_path) as url:
        study_file = tiny_study(tmp_path, url, quickstart_dir, n_trials=2, epochs=10)
        created = run(["create", str(study_file)])
        assert created.returncode == 0, created.stderr[-3000:]
        first = subprocess.Popen([*SWEEP, "worker", "--storage", url, "--study-name", "fleet"], env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        study = load(url)
        try:
            _wait_for(lambda: any(t.state.name == "RUNNING" and "design" in t.user_attrs
                                  for t in study.get_trials(deepcopy=False)), 120, "the worker's trial to start")
            time.sleep(1)  # mid-trial: training (10 epochs) or the hardware stage
            children = _descendants(first.pid)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        running = [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"]
        assert len(running) == 1
        dead = running[0].number
        _wait_for(lambda: not any(_alive(pid) for pid in children), 15, "the killed worker's child processes to exit")

        elsewhere = tmp_path / "another_machine"
        elsewhere.mkdir()
        rest = run(["worker", "--storage", url, "--study-name", "fleet"], cwd=elsewhere)
        assert rest.returncode == 0, rest.stderr[-3000:]
        study = load(url)
        trials = {t.number: t for t in study.get_trials(deepcopy=False)}
        assert trials[dead].state.name == "FAIL"
        retries = [t for t in trials.values() if t.user_attrs.get("retry_of") == dead]
        assert len(retries) == 1 and retries[0].state.name == "COMPLETE"
        assert retries[0].params == trials[dead].params
        assert "worker died" in retries[0].user_attrs["retry_reason"]
        check_every_trial_once(study, 2)
        assert f"trial {dead} FAIL" not in rest.stderr or "heartbeat" in rest.stderr


# --------------------------------------------------------------------------------- server restart
@pytest.mark.parametrize("_", [0], ids=["postgresql"])
def test_worker_survives_a_postgres_restart(tmp_path: Path, quickstart_dir: Path, _) -> None:
    for mark in needs_postgres:
        if mark.args[0]:
            pytest.skip(mark.kwargs["reason"])
    with postgres_server() as server:
        study_file = tiny_study(tmp_path, server.url, quickstart_dir, n_trials=4, epochs=5)
        created = run(["run", str(study_file), "--n-trials", "1"])
        assert created.returncode == 0, created.stderr[-3000:]
        worker = subprocess.Popen([*SWEEP, "worker", "--storage", server.url, "--study-name", "fleet"], env=ENV,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _wait_for(lambda: study_progress(load(server.url)).done >= 2, 300, "a second finished trial")
        complete_before = {t.number for t in load(server.url).get_trials(deepcopy=False)
                           if t.state.name == "COMPLETE"}
        server.restart()
        _, err = worker.communicate(timeout=600)
        if worker.returncode != 0:  # it may exit cleanly; a restarted worker then finishes the study
            assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("error:"), err[-3000:]
            again = run(["worker", "--storage", server.url, "--study-name", "fleet"])
            assert again.returncode == 0, again.stderr[-3000:]
        study = load(server.url)
        complete_after = {t.number for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"}
        assert complete_before <= complete_after
        assert study_progress(study).done == 4


def test_create_stores_the_study_without_running_a_trial(tmp_path: Path, quickstart_dir: Path) -> None:
    """`sweep create` (docker's create service, the cluster README): the study and its config are stored,
    no trial runs; again, the existing study is left as it is. (Workers joining a stored study from the URL
    alone: the fleet and kill tests.)"""
    from sweep.study import CONFIG_ATTR

    url = f"sqlite:///{tmp_path / 'trials.db'}"
    study_file = tiny_study(tmp_path, url, quickstart_dir, n_trials=1)
    first = run(["create", str(study_file)])
    assert first.returncode == 0 and "'fleet' created" in " ".join(first.stderr.split()), first.stderr[-2000:]
    study = load(url)
    assert study.trials == [] and study.user_attrs[CONFIG_ATTR]["name"] == "fleet"
    again = run(["create", str(study_file)])
    assert again.returncode == 0 and "already exists" in again.stderr, again.stderr[-2000:]
    assert load(url).trials == []


# ------------------------------------------------------------------------------------ user mistakes
def test_worker_mistakes_are_one_line(tmp_path: Path) -> None:
    import socket

    sqlite = f"sqlite:///{tmp_path / 'none.db'}"
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy_port = str(taken.getsockname()[1])
    cases = [
        (["worker", "--study-name", "s"], "give --storage"),
        (["worker", "--storage", sqlite, "--study-name", "s"], "no such SQLite file"),
        (["worker", "--storage", "postgresql://u@127.0.0.1:1/db", "--study-name", "s"], "cannot connect"),
        (["worker", "--storage", "grpc://127.0.0.1:1", "--study-name", "s"],
         "cannot connect to the storage proxy"),
        (["storage-proxy", "--storage", sqlite, "--host", "127.0.0.1", "--port", busy_port], "cannot be used"),
        (["worker", "--storage", "grpc://nohost", "--study-name", "s"], "grpc://HOST:PORT"),
        (["worker", "--storage", f"journal:///{tmp_path / 'none.log'}", "--study-name", "s"], "no journal"),
        (["storage-proxy", "--storage", f"journal:///{tmp_path / 'x.log'}"], "the proxy serves a database"),
    ]
    for args, needle in cases:
        done = run(args, timeout=120)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and needle in lines[0], (args, done.stderr)
    taken.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("_", [0], ids=["postgresql"])
def test_worker_server_mistakes_never_print_the_password(tmp_path: Path, quickstart_dir: Path, _) -> None:
    for mark in needs_postgres:
        if mark.args[0]:
            pytest.skip(mark.kwargs["reason"])
    secret = "s3cret-W0rker"
    with postgres_server(password=secret) as server:
        good = server.url.replace("sweep@", f"sweep:{secret}@")
        wrong = server.url.replace("sweep@", "sweep:wrong-Pass@")
        cases = [
            ([ "--storage", wrong, "--study-name", "fleet"], "cannot connect"),
            (["--storage", good, "--study-name", "nosuch"], "no study 'nosuch'"),
        ]
        for args, needle in cases:
            done = run(["worker", *args], timeout=120)
            lines = done.stderr.strip().splitlines()
            assert done.returncode == 2 and len(lines) == 1 and needle in lines[0], done.stderr
            assert secret not in done.stderr + done.stdout and "wrong-Pass" not in done.stderr + done.stdout


def test_progress_counts_a_retried_failure_once() -> None:
    """A dead worker's FAIL that a later trial retries is not done; a plain FAIL (NaN loss) is."""
    study = optuna.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    fail = optuna.trial.TrialState.FAIL
    study.add_trial(optuna.trial.create_trial(state=fail, params={}, distributions={}))  # 2: retried below
    study.add_trial(optuna.trial.create_trial(state=fail, params={}, distributions={}))  # 3: a plain failure
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.WAITING, params={}, distributions={},
                                              system_attrs={"failed_trial": 2, "retry_history": [2]}))
    progress = study_progress(study)
    assert (progress.done, progress.complete, progress.failed, progress.retried, progress.waiting) == (3, 2, 1, 1, 1)


def test_stored_config_makes_a_local_data_path_absolute(tmp_path: Path, monkeypatch) -> None:
    """A worker in another folder reads the data the creator named with a relative path."""
    from sweep.config import load_config
    from sweep.study import storable_config

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "jets.h5").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    study_file = tiny_study(tmp_path, "sqlite:///t.db", Path("data/jets.h5"), n_trials=1)
    doc = yaml.safe_load(study_file.read_text())
    doc["data"]["format"] = "jets150p"
    study_file.write_text(yaml.safe_dump(doc))
    stored = storable_config(load_config(study_file))
    assert stored["data"]["source"] == str(tmp_path / "data" / "jets.h5")
    doc["data"]["source"] = "builtin:quickstart"
    doc["data"].pop("format")
    study_file.write_text(yaml.safe_dump(doc))
    assert storable_config(load_config(study_file))["data"]["source"] == "builtin:quickstart"
