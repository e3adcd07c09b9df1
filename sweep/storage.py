"""Trial storage by URL: an SQLite file (default) or PostgreSQL, checked before anything is written."""

from __future__ import annotations

import os
import random
import re
import time
import warnings
from contextlib import closing
from pathlib import Path
from typing import Protocol

import optuna
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, ProgrammingError

from sweep.errors import UserError


class HeartbeatSettings(Protocol):
    """What :func:`open_storage` reads from a study's ``workers:`` section (:class:`sweep.config.WorkersConfig`)."""

    heartbeat_interval_s: int
    grace_period_s: int
    max_retry: int

SUPPORTED = ("sqlite", "postgresql")
#: Optuna's journal file storage (shared file systems without a database server): ``journal:///FILE``.
JOURNAL_PREFIX = "journal:///"
#: Optuna's gRPC storage proxy (``sweep storage-proxy``) in front of a database: ``grpc://HOST:PORT``.
GRPC_PREFIX = "grpc://"

#: ``scheme://user:`` … ``@`` of a URL SQLAlchemy cannot parse: everything up to the last ``@`` is masked.
_USERINFO_PASSWORD_LOOSE = re.compile(r"(://[^:/?#@\s]*:).*@", re.DOTALL)
#: The same within the host part only (no ``/ ? #``): catches a raw ``@`` in a password that SQLAlchemy
#: took for part of the host name.
_USERINFO_PASSWORD_NETLOC = re.compile(r"(://[^:/?#@\s]*:)[^/?#\s]*@")
#: ``?password=…`` / ``&password=…`` (libpq reads it from the query too).
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def display_url(url: str) -> str:
    """The storage URL as it may be shown (messages, logs, tables) or stored: a password becomes ``***``.

    ``postgresql+psycopg://user:secret@host/db`` → ``postgresql+psycopg://user:***@host/db``; a URL without
    a password (every SQLite URL) is returned unchanged. Strings SQLAlchemy cannot parse are masked between
    ``://user:`` and the last ``@``.
    """
    text = str(url)
    try:
        parsed = make_url(text)
    except Exception:  # ArgumentError, or ValueError for a port that is not a number (raw ':' or '/' in a password)
        text = _USERINFO_PASSWORD_LOOSE.sub(r"\1***@", text)
    else:
        if parsed.password is not None:
            text = parsed.render_as_string(hide_password=True)
        text = _USERINFO_PASSWORD_NETLOC.sub(r"\1***@", text)
    return _QUERY_PASSWORD.sub(r"\1***", text)


def url_without_password(url: str) -> str:
    """``url`` with its password removed (kept in the study's stored config: libpq's ``PGPASSWORD`` or
    ``~/.pgpass`` can supply it again); unparsable strings are masked as by :func:`display_url`."""
    try:
        parsed = make_url(url)
    except Exception:
        return display_url(url)
    if "@" in (parsed.host or ""):  # a raw @ in the password: the host holds part of it
        return display_url(url)
    if parsed.password is None and display_url(url) == url:
        return url
    query = {k: v for k, v in parsed.query.items() if k.lower() != "password"}
    # URL.set() ignores None: replace the field itself
    return display_url(parsed._replace(password=None).set(query=query).render_as_string(hide_password=False))


def with_password_from_env(url: str, env_name: str | None) -> str:
    """``url`` with the password read from the environment variable ``env_name`` (the study file's
    ``storage_password_env``). No name, or an SQLite URL: ``url`` unchanged. The name set but the variable
    unset or empty, or a password already in the URL, is a :class:`UserError`."""
    if not env_name:
        return url
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return url
    if parsed.password is not None or display_url(url) != url:
        raise UserError(f"storage {display_url(url)!r}: the URL holds a password and storage_password_env names "
                        f"{env_name}; keep the password in one place (the environment variable)")
    password = os.environ.get(env_name)
    if not password:
        raise UserError(f"storage_password_env: environment variable {env_name} is not set "
                        "(it should hold the storage password)")
    return parsed.set(password=password).render_as_string(hide_password=False)


def storage_kind(url: str) -> str:
    """``journal`` (Optuna's journal file), ``grpc`` (Optuna's gRPC storage proxy) or ``rdb`` (a database URL)."""
    text = str(url)
    if text.startswith(JOURNAL_PREFIX):
        return "journal"
    if text.startswith(GRPC_PREFIX):
        return "grpc"
    return "rdb"


def journal_path(url: str) -> Path:
    """The file of a ``journal:///FILE`` URL (``journal:///study.log`` relative, ``journal:////abs/study.log``)."""
    return Path(str(url)[len(JOURNAL_PREFIX):])


def grpc_address(url: str) -> tuple[str, int]:
    """``(host, port)`` of a ``grpc://HOST:PORT`` URL (:class:`UserError` when malformed)."""
    rest = str(url)[len(GRPC_PREFIX):].rstrip("/")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"storage {display_url(url)!r}: a storage proxy URL is grpc://HOST:PORT, e.g. grpc://head:13000")
    return host.strip("[]"), int(port)


def check_grpc_available() -> None:
    """Load Optuna's gRPC stubs (on the pinned protobuf 4.25 through :mod:`sweep.protobuf_compat`); one
    :class:`UserError` line instead of an ImportError when they still cannot load."""
    from sweep.protobuf_compat import provide_runtime_version

    provide_runtime_version()
    try:
        import optuna.storages._grpc.auto_generated.api_pb2_grpc  # noqa: F401
    except (ImportError, RuntimeError) as exc:  # RuntimeError: grpcio older than the stubs
        raise UserError(f"the gRPC storage proxy is not available here: {str(exc).splitlines()[0]}; "
                        "connect workers to the database directly") from None


def _normalize_journal(url: str) -> str:
    path = journal_path(url)
    if not str(path) or str(path) == ".":
        raise UserError(f"storage {url!r}: a journal storage needs a file, e.g. journal:///study.log")
    if not path.parent.exists():
        raise UserError(f"storage {url!r}: folder {path.parent} does not exist")
    if path.is_dir():
        raise UserError(f"storage {url!r}: {path} is a folder, not a journal file")
    return url


def normalize_url(url: str) -> str:
    """Check the URL's form; ``postgresql://`` is served by psycopg 3."""
    kind = storage_kind(url)
    if kind == "journal":
        return _normalize_journal(url)
    if kind == "grpc":
        grpc_address(url)
        check_grpc_available()
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"storage {display_url(url)!r}: not a database URL "
                        "(e.g. sqlite:///sweeps.db or postgresql://user@host/db)") from None
    except ValueError:  # SQLAlchemy read part of the URL as a port number
        raise UserError(f"storage {display_url(url)!r}: not a database URL (a port is not a number; special "
                        "characters in a password must be URL-encoded, e.g. @ as %40, / as %2F)") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise UserError(f"storage {display_url(url)!r}: unsupported database {backend!r}; use sqlite or postgresql "
                        "(or journal:///FILE, grpc://HOST:PORT)")
    if "@" in (parsed.host or ""):  # user:p@ss@host: SQLAlchemy took the password's tail for the host
        raise UserError(f"storage {display_url(url)!r}: more than one @ in the URL; special characters in a "
                        "password must be URL-encoded, e.g. @ as %40")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise UserError(f"storage {display_url(url)!r}: an SQLite storage needs a file path, e.g. sqlite:///sweeps.db")
        path = Path(database)
        if not path.parent.exists():
            raise UserError(f"storage {display_url(url)!r}: folder {path.parent} does not exist")
        if path.exists() and path.is_dir():
            raise UserError(f"storage {display_url(url)!r}: {path} is a folder, not a database file")
        if path.exists() and path.stat().st_size > 0 and path.read_bytes()[:16] != b"SQLite format 3\x00":
            raise UserError(f"storage {display_url(url)!r}: {path} is not an SQLite database")
    return parsed.render_as_string(hide_password=False)


def check_reachable(url: str) -> None:
    """Connect once to a server database or storage proxy (files are checked by :func:`normalize_url`)."""
    kind = storage_kind(url)
    if kind == "journal":
        return
    if kind == "grpc":
        import socket

        host, port = grpc_address(url)
        try:
            socket.create_connection((host, port), timeout=10).close()
        except OSError as exc:
            raise UserError(f"storage {url}: cannot connect to the storage proxy: {exc.strerror or exc}") from None
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    from sqlalchemy import create_engine

    engine = None
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 10})
        with engine.connect():
            pass
    except Exception as exc:  # driver errors differ; one line is what the user needs
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if parsed.password:
            first = first.replace(parsed.password, "***")
        raise UserError(f"storage {display_url(url)}: cannot connect: {first}") from None
    finally:
        if engine is not None:
            engine.dispose()


def check_existing_sqlite(url: str) -> None:
    """For commands that only read a storage: the SQLite file must already hold an Optuna storage.

    Opening a missing (or empty) file with Optuna would create it and its tables; only ``sweep run``
    with a study file may do that. Server databases are left to :func:`check_reachable`.
    """
    hint = "`sweep run STUDY.yaml` creates one"
    if storage_kind(url) == "journal":
        path = journal_path(url)
        if not path.is_file() or path.stat().st_size == 0:
            raise UserError(f"storage {url!r}: no journal {path} (or it is empty); {hint}")
        return
    if storage_kind(url) == "grpc":
        return
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    path = Path(parsed.database or "")
    if not path.exists():
        raise UserError(f"storage {display_url(url)!r}: no such SQLite file {path}; {hint}")
    if path.stat().st_size == 0:
        raise UserError(f"storage {display_url(url)!r}: {path} is empty, not an Optuna storage; {hint}")
    import sqlite3

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:
        raise UserError(f"storage {display_url(url)!r}: cannot read {path}: {exc}") from None
    if "studies" not in tables:
        raise UserError(f"storage {display_url(url)!r}: {path} is an SQLite database but not an Optuna storage")


def open_storage(url: str, attempts: int = 5, create: bool = True,
                 workers: HeartbeatSettings | None = None) -> optuna.storages.BaseStorage:
    """Optuna storage for ``url``: an RDB (SQLite, PostgreSQL), a journal file or a gRPC storage proxy.

    ``create=False`` (commands that only read or continue a study): a missing or empty SQLite or journal
    file is a :class:`UserError` instead of a new storage. ``workers`` (processes that run trials): RDB
    storages get heartbeats, the grace period and the dead-worker retry of a study's ``workers:`` settings
    (:class:`RetryDeadWorkerTrial`); SQLite is switched to WAL so several processes can share the file.
    Workers started together on a fresh database race to create Optuna's tables (PostgreSQL then reports
    a duplicate type or table to all but one): the losers wait a moment and open it again.
    """
    url = normalize_url(url)
    if not create:
        check_existing_sqlite(url)
    check_reachable(url)
    kind = storage_kind(url)
    if kind == "journal":
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(str(journal_path(url))))
    if kind == "grpc":
        host, port = grpc_address(url)
        with warnings.catch_warnings():  # "experimental" in Optuna 5
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.GrpcStorageProxy(host=host, port=port)
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if sqlite:
        options: dict = {"engine_kwargs": {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}}
        if workers is not None:
            enable_wal(Path(make_url(url).database or ""))
    else:  # many workers, each with a heartbeat thread: a small pool, dropped connections noticed and replaced
        options = {"engine_kwargs": {"pool_size": 2, "max_overflow": 4, "pool_pre_ping": True, "pool_recycle": 1800,
                                     "connect_args": {"connect_timeout": 10}}}
    if workers is not None:
        options.update(heartbeat_interval=workers.heartbeat_interval_s, grace_period=workers.grace_period_s,
                       heartbeat_stale_trial_callback=RetryDeadWorkerTrial(workers.max_retry, workers.grace_period_s))
    for attempt in range(attempts - 1):
        try:
            return _rdb_storage(url, options)
        except (IntegrityError, ProgrammingError):
            time.sleep(0.5 + random.random() * (attempt + 1))
    return _rdb_storage(url, options)


def proxy_backend(url: str) -> optuna.storages.BaseStorage:
    """What Optuna's gRPC storage proxy should serve for the database at ``url``: Optuna's trial cache over it.

    The proxy answers every GetTrials by reading all of the study's trials from its storage; through the
    cache (``get_storage``) finished trials are read from the database once, where the bare RDBStorage would
    re-read the whole study on every call (bench/storage_scale.py, docs/scale_out.md)."""
    check_grpc_available()
    return optuna.storages.get_storage(open_storage(url))


def serve_storage_proxy(backend: optuna.storages.BaseStorage, host: str, port: int) -> None:
    """Run Optuna's gRPC storage proxy for ``backend`` (:func:`proxy_backend`) until interrupted."""
    with warnings.catch_warnings():  # "experimental" in Optuna 5
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.run_grpc_proxy_server(backend, host=host, port=port)


def _rdb_storage(url: str, options: dict) -> optuna.storages.RDBStorage:
    with warnings.catch_warnings():  # heartbeat_interval is "experimental" in Optuna 5
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(url, **options)


#: Seconds an SQLite writer waits for another process's lock before "database is locked".
SQLITE_BUSY_TIMEOUT_S = 120


def enable_wal(path: Path) -> None:
    """Put the SQLite file ``path`` in write-ahead-log mode (persistent; readers no longer block the writer)."""
    import sqlite3

    with closing(sqlite3.connect(str(path), timeout=SQLITE_BUSY_TIMEOUT_S)) as db:
        db.execute("PRAGMA journal_mode=WAL")


#: Trial user attributes of a retry: the trial it retries, and why.
RETRY_OF_ATTR = "retry_of"
RETRY_REASON_ATTR = "retry_reason"


class RetryDeadWorkerTrial:
    """Heartbeat-stale trial callback: the dead worker's trial (already FAIL) is retried as a new trial with
    the same parameters (Optuna's :class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`), which also
    carries ``retry_of`` (the dead trial's number) and ``retry_reason``; ``max_retry`` retries per original."""

    def __init__(self, max_retry: int, grace_period_s: int) -> None:
        self.max_retry = max_retry
        self.grace_period_s = grace_period_s

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        import copy

        retried = copy.deepcopy(trial)
        retried.user_attrs = {**trial.user_attrs, RETRY_OF_ATTR: trial.number,
                              RETRY_REASON_ATTR: f"trial {trial.number}'s worker died (no heartbeat for "
                                                 f"{self.grace_period_s} s)"}
        for stale in ("fail_reason", "prune_reason", "artifact_ids"):
            retried.user_attrs.pop(stale, None)
        optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=self.max_retry)(study, retried)
