"""Storage URLs: checked (and normalised) before anything is written."""

from __future__ import annotations

import sqlite3

import optuna
import pytest
from sqlalchemy.engine import make_url

from sweep.errors import UserError
from sweep.storage import check_reachable, normalize_url, open_storage


def _user_error(url: str, *needles: str) -> str:
    with pytest.raises(UserError) as info:
        normalize_url(url)
    message = str(info.value)
    assert "\n" not in message
    assert repr(url) in message, message  # the message quotes the URL it is about
    for needle in needles:
        assert needle in message, message
    return message


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize("url", [
    "postgresql://u@h/db",
    "postgresql://user:secret@db.example.org:6543/sweeps",
    "postgresql://user@host/db?sslmode=require",
])
def test_postgresql_gets_psycopg3_driver(url):
    normalized = normalize_url(url)
    assert normalized.startswith("postgresql+psycopg://")
    before, after = make_url(url), make_url(normalized)
    assert after.drivername == "postgresql+psycopg"
    for part in ("username", "password", "host", "port", "database", "query"):
        assert getattr(after, part) == getattr(before, part), part


def test_postgresql_password_is_kept_in_the_url():
    assert "secret" in normalize_url("postgresql://user:secret@h/db")


@pytest.mark.parametrize("url", ["postgresql+psycopg://u@h/db", "postgresql+psycopg2://u@h/db"])
def test_explicit_postgresql_driver_is_kept(url):
    assert make_url(normalize_url(url)).drivername == make_url(url).drivername


# ---------------------------------------------------------------- unsupported / malformed


@pytest.mark.parametrize("url, needle", [
    ("mysql://x", "'mysql'"),
    ("mysql+pymysql://u@h/db", "'mysql'"),
    ("oracle://u@h/db", "'oracle'"),
])
def test_unsupported_backend(url, needle):
    _user_error(url, needle, "sqlite or postgresql")


@pytest.mark.parametrize("url", ["notaurl", "", "sweeps.db", "://nothing"])
def test_not_a_url(url):
    _user_error(url, "not a database URL")


# ---------------------------------------------------------------- SQLite


def test_sqlite_new_file_in_existing_folder_is_fine_and_not_created(tmp_path):
    path = tmp_path / "new.db"
    url = f"sqlite:///{path}"
    assert make_url(normalize_url(url)).database == str(path)
    check_reachable(normalize_url(url))  # SQLite: nothing to connect to, nothing created
    assert not path.exists()


def test_sqlite_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert make_url(normalize_url("sqlite:///rel.db")).database == "rel.db"
    (tmp_path / "sub").mkdir()
    assert make_url(normalize_url("sqlite:///sub/rel.db")).database == "sub/rel.db"
    _user_error("sqlite:///nosub/rel.db", "does not exist")
    assert list(tmp_path.iterdir()) == [tmp_path / "sub"]


def test_sqlite_missing_folder(tmp_path):
    url = f"sqlite:///{tmp_path}/no/such/dir/x.db"
    _user_error(url, "does not exist", str(tmp_path / "no" / "such" / "dir"))
    assert not (tmp_path / "no").exists()


def test_sqlite_folder_instead_of_file(tmp_path):
    (tmp_path / "d.db").mkdir()
    _user_error(f"sqlite:///{tmp_path / 'd.db'}", "folder")


def test_sqlite_non_database_file(tmp_path):
    path = tmp_path / "x.db"
    path.write_text("id,value\n1,2\n")
    _user_error(f"sqlite:///{path}", "not an SQLite database")
    assert path.read_text() == "id,value\n1,2\n"


def test_sqlite_short_non_database_file(tmp_path):
    path = tmp_path / "x.db"
    path.write_bytes(b"SQLite")  # a prefix of the magic header is still not a database
    _user_error(f"sqlite:///{path}", "not an SQLite database")


def test_sqlite_empty_file_is_accepted(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    normalize_url(f"sqlite:///{path}")


def test_sqlite_real_database_is_accepted(tmp_path):
    path = tmp_path / "real.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table t (x integer)")
    connection.close()
    assert make_url(normalize_url(f"sqlite:///{path}")).database == str(path)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_sqlite_needs_a_file(url):
    _user_error(url, "file path")


# ---------------------------------------------------------------- open_storage


def test_open_storage_creates_an_optuna_sqlite_storage(tmp_path):
    path = tmp_path / "s.db"
    storage = open_storage(f"sqlite:///{path}")
    assert isinstance(storage, optuna.storages.RDBStorage)
    assert path.exists() and path.read_bytes()[:16] == b"SQLite format 3\x00"
    optuna.create_study(study_name="one", storage=storage)
    # and the file it made is accepted again
    assert [s.study_name for s in open_storage(f"sqlite:///{path}").get_all_studies()] == ["one"]


@pytest.mark.parametrize("url", ["mysql://x", "notaurl", "sqlite:///:memory:"])
def test_open_storage_rejects_before_creating_anything(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError):
        open_storage(url)
    assert list(tmp_path.iterdir()) == []


def test_check_reachable_unreachable_server_is_one_line(monkeypatch):
    """A server that cannot be reached (or a missing driver) is a one-line UserError, password hidden."""
    import sqlalchemy

    class FailingEngine:
        def connect(self):
            raise RuntimeError("connection refused\n\tIs the server running on host \"h\"?")

        def dispose(self):
            pass

    monkeypatch.setattr(sqlalchemy, "create_engine", lambda *a, **k: FailingEngine())
    with pytest.raises(UserError) as info:
        check_reachable("postgresql+psycopg://user:secret@h/db")
    message = str(info.value)
    assert "\n" not in message and "cannot connect" in message and "connection refused" in message
    assert "secret" not in message


def test_check_reachable_missing_driver_is_user_error(monkeypatch):
    import sqlalchemy

    def no_driver(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'psycopg'")

    monkeypatch.setattr(sqlalchemy, "create_engine", no_driver)
    with pytest.raises(UserError) as info:
        check_reachable("postgresql+psycopg://user:secret@h/db")
    assert "\n" not in str(info.value) and "secret" not in str(info.value)
