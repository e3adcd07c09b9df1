"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, listen on loopback only."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def server_user_missing() -> bool:
    """Running as root needs a ``postgres`` user to start the server as."""
    if os.geteuid() != 0:
        return False
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return True
    return shutil.which("runuser") is None


def postgres_bin() -> Path | None:
    """Folder holding initdb/pg_ctl (Debian's versioned folder or PATH), or None."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as the ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PostgresServer:
    """A running throwaway server: its URL (no password) and a restart, as an operator would do it."""

    def __init__(self, url: str, bin_dir: Path, data: Path) -> None:
        self.url = url
        self._bin_dir = bin_dir
        self._data = data

    def restart(self) -> None:
        """Stop the server (fast shutdown: open connections are cut) and start it again on the same port."""
        subprocess.run(_as_server_user([str(self._bin_dir / "pg_ctl"), "-D", str(self._data), "-m", "fast", "-w",
                                        "-l", str(self._data / "server.log"), "restart"]),
                       check=True, capture_output=True)


@contextmanager
def throwaway_postgres(password: str | None = None) -> Iterator[str]:
    """Yield a URL ``postgresql://sweep@127.0.0.1:<port>/sweeps`` of a fresh server (:func:`postgres_server`)."""
    with postgres_server(password) as server:
        yield server.url


@contextmanager
def postgres_server(password: str | None = None) -> Iterator[PostgresServer]:
    """Yield a fresh server (URL ``postgresql://sweep@127.0.0.1:<port>/sweeps``); stop and delete it afterwards.

    The data folder is a new folder under the system temp dir (pytest's own are private to root).
    Without ``password`` every connection is trusted. With it, role ``sweep`` has that password and TCP
    connections must give it (``scram-sha-256``; only the server's own Unix socket stays trusted); the URL
    yielded carries no password either way.
    """
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found")
    folder = Path(tempfile.mkdtemp(prefix="hls_sweep_pg_"))
    data = folder / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    auth = ["-A", "trust"]
    if password is not None:
        pwfile = folder / "pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres")
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
    subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), *auth, "-U", "sweep"]),
                   check=True, capture_output=True)
    if password is not None:
        pwfile.unlink()
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w",
                                    "-l", str(data / "server.log"), "start"]), check=True, capture_output=True)
    try:
        env = {**os.environ, "PGPASSWORD": password} if password is not None else None
        subprocess.run(_as_server_user([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                        "-U", "sweep", "sweeps"]), check=True, capture_output=True, env=env)
        yield PostgresServer(f"postgresql://sweep@127.0.0.1:{port}/sweeps", bin_dir, data)
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
