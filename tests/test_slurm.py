"""cluster/slurm_workers.sh on a real single-node SLURM cluster that the test starts (issue 12, part 6).

The fixture starts ``munged`` (its own key and socket), ``slurmctld`` and ``slurmd`` (Debian ``slurm-wlm``)
in a scratch folder with a generated ``slurm.conf``: one node named after this host, its own ports, no
cgroups, no accounting. A tiny study is created with ``sweep create`` on SQLite, then
``sbatch --array=0-1 --wait`` runs the script: each array task joins the study with ``sweep worker`` and
finishes one trial. Skipped, with the reason, where the cluster cannot start (binaries missing, not root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest
from postgres_server import free_port
from tiny_study import tiny_study

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "cluster" / "slurm_workers.sh"
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "sinfo", "scontrol", "scancel")


def _which(name: str) -> str | None:
    return shutil.which(name, path=SBIN_PATH)


def _missing_reason() -> str | None:
    """Why a SLURM cluster cannot be started here, or None."""
    missing = [name for name in (*DAEMONS, *CLIENTS) if _which(name) is None]
    if missing:
        return f"SLURM/munge binaries not installed: {', '.join(missing)} (Debian: apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs, and the tests do not run as root"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "no 'munge' user to run munged as (the Debian munge package creates it)"
    if not (Path(sys.prefix) / "bin" / "sweep").exists():
        return f"no sweep console script in {sys.prefix}/bin for the SLURM tasks to run"
    return None


pytestmark = pytest.mark.skipif(_missing_reason() is not None, reason=str(_missing_reason()))


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path.name} not written)"


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 2048


def slurm_conf(folder: Path, node: str, cpus: int, memory_mb: int, munge_socket: Path) -> str:
    """A one-node cluster: this host, root daemons, linuxproc tracking, no cgroups, no accounting."""
    return "\n".join([
        "ClusterName=hlssweeptest",
        f"SlurmctldHost={node}(127.0.0.1)",
        f"SlurmctldPort={free_port()}",
        f"SlurmdPort={free_port()}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge_socket}",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerType=sched/backfill",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "ReturnToService=2",
        f"NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN",
        f"PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP",
        "",
    ])


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[dict[str, str]]:
    """Start munged, slurmctld and slurmd; yield the environment that reaches them (``SLURM_CONF``).

    Everything lives in a fresh folder under the system temp dir (munged checks that its socket folder is
    world-searchable, which pytest's own folders are not); the daemons run in the foreground as children of
    the test and are stopped by their process, jobs first.
    """
    folder = Path(tempfile.mkdtemp(prefix="hls_sweep_slurm_"))
    folder.chmod(0o755)
    processes: list[subprocess.Popen] = []
    env = {**os.environ, "PATH": SBIN_PATH}
    try:
        munge_dir = folder / "munge"
        munge_dir.mkdir(mode=0o755)
        key = munge_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        shutil.chown(munge_dir, "munge", "munge")
        shutil.chown(key, "munge", "munge")
        munge_socket = munge_dir / "munge.socket"
        munged_log = munge_dir / "munged.log"
        processes.append(subprocess.Popen(
            [_which("munged"), "--foreground", f"--socket={munge_socket}", f"--key-file={key}",
             f"--pid-file={munge_dir / 'munged.pid'}", f"--log-file={munged_log}",
             f"--seed-file={munge_dir / 'munged.seed'}"],
            user="munge", group="munge", stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env))
        if not _wait_for(lambda: munge_socket.exists(), 10) or processes[-1].poll() is not None:
            pytest.skip(f"munged did not start:\n{_tail(munged_log)}")

        node = socket.gethostname().split(".")[0]
        for sub in ("state", "spool"):
            (folder / sub).mkdir()
        conf = folder / "slurm.conf"
        conf.write_text(slurm_conf(folder, node, os.cpu_count() or 1, int(_memory_mb() * 0.8), munge_socket))
        env["SLURM_CONF"] = str(conf)
        for daemon, log in (("slurmctld", "slurmctld.log"), ("slurmd", "slurmd.log")):
            with open(folder / f"{daemon}.stderr", "w") as stderr:
                processes.append(subprocess.Popen([_which(daemon), "-D"], env=env, stdout=subprocess.DEVNULL,
                                                  stderr=stderr))
            time.sleep(0.5)
            if processes[-1].poll() is not None:
                pytest.skip(f"{daemon} exited at start:\n{_tail(folder / log)}\n{_tail(folder / f'{daemon}.stderr')}")

        def node_idle() -> bool:
            state = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True)
            return state.returncode == 0 and state.stdout.strip() == "idle"

        if not _wait_for(node_idle, 30):
            pytest.skip(f"the SLURM node did not become idle:\n{_tail(folder / 'slurmctld.log')}\n"
                        f"{_tail(folder / 'slurmd.log')}")
        yield {"SLURM_CONF": str(conf), "PATH": SBIN_PATH}
    finally:
        if len(processes) == len(DAEMONS):
            subprocess.run(["scancel", "--user", "root"], env=env, capture_output=True)
            _wait_for(lambda: not subprocess.run(["squeue", "-h"], env=env, capture_output=True,
                                                 text=True).stdout.strip(), 15)
        for process in reversed(processes):  # slurmd, slurmctld, munged
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_two_array_tasks_finish_trials_of_one_study(slurm_cluster: dict[str, str], quickstart_dir: Path) -> None:
    import optuna

    folder = Path(tempfile.mkdtemp(prefix="hls_sweep_slurm_study_"))
    try:
        storage = f"sqlite:///{folder / 'sweeps.db'}"
        study_file = tiny_study(folder, storage, quickstart_dir, n_trials=10, name="slurm")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HLS_SWEEP_", "SLURM_"))}
        env.update({**slurm_cluster, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2"})
        created = subprocess.run([sys.executable, "-m", "sweep.cli", "create", str(study_file)],
                                 cwd=folder, env=env, capture_output=True, text=True, timeout=600)
        assert created.returncode == 0, created.stderr[-2000:]
        assert optuna.load_study(study_name="slurm", storage=storage).trials == []  # `sweep create` runs none

        env.update({"HLS_SWEEP_STORAGE": storage, "HLS_SWEEP_STUDY": "slurm", "HLS_SWEEP_TRIALS_PER_TASK": "1",
                    "HLS_SWEEP_VENV": sys.prefix})
        # two tasks of one CPU each run side by side on the node; the script's own directives stay otherwise
        submit = subprocess.run(["sbatch", "--array=0-1", "--cpus-per-task=1", "--mem=2G", "--parsable", "--wait",
                                 str(SCRIPT)], cwd=folder, env=env, capture_output=True, text=True, timeout=900)
        logs = sorted(folder.glob("hls-sweep-worker-*_*.log"))
        shown = "\n".join(f"== {log.name}\n{_tail(log, 25)}" for log in logs)
        assert submit.returncode == 0, f"sbatch: {submit.stderr}\n{shown}"
        job = submit.stdout.strip().split(";")[0]
        assert [log.name for log in logs] == [f"hls-sweep-worker-{job}_0.log", f"hls-sweep-worker-{job}_1.log"]
        for task, log in enumerate(logs):
            assert f"array task {task} of job {job}" in log.read_text(), shown

        study = optuna.load_study(study_name="slurm", storage=storage)
        trials = study.get_trials(deepcopy=False)
        assert len(trials) == 2, [(t.number, t.state.name) for t in trials]
        assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials), [t.user_attrs for t in trials]
        assert sorted(t.number for t in trials) == [0, 1]
        workers = [t.user_attrs.get("worker") for t in trials]
        assert len(set(workers)) == 2, workers  # each array task ran one trial
    finally:
        shutil.rmtree(folder, ignore_errors=True)
