"""Trial storage by URL: an SQLite file (default) or PostgreSQL, checked before anything is written."""

from __future__ import annotations

import random
import time
from pathlib import Path

import optuna
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, ProgrammingError

from sweep.errors import UserError

SUPPORTED = ("sqlite", "postgresql")


def normalize_url(url: str) -> str:
    """Check the URL's form; ``postgresql://`` is served by psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"storage {url!r}: not a database URL (e.g. sqlite:///sweeps.db or postgresql://user@host/db)") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise UserError(f"storage {url!r}: unsupported database {backend!r}; use sqlite or postgresql")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise UserError(f"storage {url!r}: an SQLite storage needs a file path, e.g. sqlite:///sweeps.db")
        path = Path(database)
        if not path.parent.exists():
            raise UserError(f"storage {url!r}: folder {path.parent} does not exist")
        if path.exists() and path.is_dir():
            raise UserError(f"storage {url!r}: {path} is a folder, not a database file")
        if path.exists() and path.stat().st_size > 0 and path.read_bytes()[:16] != b"SQLite format 3\x00":
            raise UserError(f"storage {url!r}: {path} is not an SQLite database")
    return parsed.render_as_string(hide_password=False)


def check_reachable(url: str) -> None:
    """Connect once to a server database (SQLite files are checked by :func:`normalize_url`)."""
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
        raise UserError(f"storage {parsed.render_as_string(hide_password=True)}: cannot connect: {first}") from None
    finally:
        if engine is not None:
            engine.dispose()


def open_storage(url: str, attempts: int = 5) -> optuna.storages.BaseStorage:
    """Optuna RDB storage for ``url``; server databases get heartbeats so dead workers' trials are failed.

    Workers started together on a fresh database race to create Optuna's tables (PostgreSQL then
    reports a duplicate type or table to all but one): the losers wait a moment and open it again.
    """
    url = normalize_url(url)
    check_reachable(url)
    if make_url(url).get_backend_name() == "sqlite":
        options: dict = {"engine_kwargs": {"connect_args": {"timeout": 60}}}
    else:
        options = {"heartbeat_interval": 60, "grace_period": 180}
    for attempt in range(attempts - 1):
        try:
            return optuna.storages.RDBStorage(url, **options)
        except (IntegrityError, ProgrammingError):
            time.sleep(0.5 + random.random() * (attempt + 1))
    return optuna.storages.RDBStorage(url, **options)
