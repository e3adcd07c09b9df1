"""Credentials never leak: a storage password is masked (``***``) wherever a URL is shown, never stored in
the study, and can be kept out of files and shell history (``storage_password_env``, ``PGPASSWORD``,
``~/.pgpass``). The end-to-end tests run the ``sweep`` CLI against a throwaway PostgreSQL server that
demands the password (scram-sha-256), then search every output and a ``pg_dump`` of the database for it.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import optuna
import pytest
import yaml
from sqlalchemy.engine import make_url

from postgres_server import postgres_bin, server_user_missing, throwaway_postgres
from tiny_study import tiny_study
from sweep.cli import main
from sweep.config import load_config
from sweep.errors import UserError
from sweep.storage import display_url, normalize_url, url_without_password, with_password_from_env
from sweep.study import CONFIG_ATTR, open_study, stored_config

QUICKSTART = Path(__file__).resolve().parents[1] / "studies" / "quickstart.yaml"
SPECIAL = "p@ss:w/rd%21"  # a password that must be URL-encoded: @ : / and a literal %21
ENV_NAME = "HLS_SWEEP_TEST_PG_PASSWORD"



def needs_postgres(test):
    """Skip ``test`` where the throwaway PostgreSQL server cannot start."""
    test = pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server binaries are not installed")(test)
    return pytest.mark.skipif(server_user_missing(),
                              reason="running as root without a 'postgres' user to start the server")(test)


def _leaks(text: str, *secret_parts: str) -> list[str]:
    """The secret parts found in ``text`` (also across the line breaks a terminal table may insert)."""
    flat = re.sub(r"\s+", "", text)
    return [part for part in secret_parts if part in text or part in flat]


# ---------------------------------------------------------------- the masking helper


@pytest.mark.parametrize("url, shown", [
    (f"postgresql://user:{quote(SPECIAL, safe='')}@db.example.org:6543/sweeps?sslmode=require",
     "postgresql://user:***@db.example.org:6543/sweeps?sslmode=require"),
    ("postgresql+psycopg://user:secret@h/db", "postgresql+psycopg://user:***@h/db"),
    ("postgresql://user:@h/db", "postgresql://user:***@h/db"),  # an empty password is still a password field
    ("mysql://u:secret@h/db", "mysql://u:***@h/db"),
    ("postgresql://u:se:c/ret@h/db", "postgresql://u:***@h/db"),  # raw ':' and '/' are read right
    # not URL-encoded: SQLAlchemy cannot parse it (':' and '/' before the host) -> masked up to the last '@'
    (f"postgresql://user:{SPECIAL}@host/db", "postgresql://user:***@host/db"),
    # a raw '@' that SQLAlchemy takes for part of the host: masked up to the last '@' of the host part
    ("postgresql://user:p@ss@host/db", "postgresql://user:***@host/db"),
    ("postgresql://user@h/db?sslmode=require&password=secret", "postgresql://user@h/db?sslmode=require&password=***"),
    ("not a url, user:secret@host", "not a url, user:secret@host"),  # no '://': nothing URL-like to mask
    ("weird://user:se cret:/@x y", "weird://user:***@x y"),
])
def test_display_url_masks_the_password(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert display_url(shown) == shown  # idempotent


@pytest.mark.parametrize("url", [
    "postgresql://user@h/db", "postgresql://h:5432/db", "postgresql+psycopg://u@h/db?sslmode=require",
    "sqlite:///sweeps.db", "sqlite:////abs/path/x.db", "sqlite:///a:b@c.db", "notaurl", "", "://nothing",
])
def test_display_url_leaves_urls_without_password_alone(url: str) -> None:
    assert display_url(url) == url


def test_special_character_password_is_gone_encoded_and_decoded() -> None:
    url = f"postgresql://user:{quote(SPECIAL, safe='')}@h/db"
    assert make_url(url).password == SPECIAL  # the URL really carries it
    for shown in (display_url(url), url_without_password(url)):
        assert not _leaks(shown, SPECIAL, quote(SPECIAL, safe=""), "p%40ss", "w%2Frd")


@pytest.mark.parametrize("url, stored", [
    ("postgresql://user:secret@h:5/db?sslmode=require", "postgresql://user@h:5/db?sslmode=require"),
    ("postgresql://user@h/db?password=secret&sslmode=require", "postgresql://user@h/db?sslmode=require"),
    ("postgresql://user:p@ss@host/db", "postgresql://user:***@host/db"),  # not a usable URL: masked
    ("sqlite:///sweeps.db", "sqlite:///sweeps.db"),
    ("postgresql://user@h/db", "postgresql://user@h/db"),
])
def test_url_without_password(url: str, stored: str) -> None:
    assert url_without_password(url) == stored


@pytest.mark.parametrize("url", [
    "mysql://u:SECRET@h/db",  # unsupported backend
    "postgresql://u:SE@CRET@h/db",  # a raw '@' in the password
    "postgresql://u:SE@C:R/ET@h/db",  # a raw '@' then ':': SQLAlchemy reads a port 'R'
    "postgresql://u:SECRET@h:notaport/db",
])
def test_bad_url_errors_mask_the_password(url: str) -> None:
    with pytest.raises(UserError) as info:
        normalize_url(url)
    message = str(info.value)
    assert "\n" not in message and "***" in message, message
    assert not _leaks(message, "SECRET", "CRET", "C:R/ET", "R/ET"), message


def test_password_from_environment_variable(monkeypatch) -> None:
    url = "postgresql://sweep@h:5432/sweeps"
    monkeypatch.setenv(ENV_NAME, SPECIAL)
    with_password = with_password_from_env(url, ENV_NAME)
    assert make_url(with_password).password == SPECIAL and make_url(with_password).host == "h"
    assert display_url(with_password) == "postgresql+psycopg://sweep:***@h:5432/sweeps"
    assert with_password_from_env(url, None) == url
    assert with_password_from_env("sqlite:///sweeps.db", ENV_NAME) == "sqlite:///sweeps.db"  # nothing to send

    monkeypatch.delenv(ENV_NAME)
    with pytest.raises(UserError, match=f"environment variable {ENV_NAME} is not set"):
        with_password_from_env(url, ENV_NAME)
    monkeypatch.setenv(ENV_NAME, "")
    with pytest.raises(UserError, match="is not set"):
        with_password_from_env(url, ENV_NAME)
    monkeypatch.setenv(ENV_NAME, "x")
    with pytest.raises(UserError) as info:
        with_password_from_env("postgresql://sweep:inline@h/sweeps", ENV_NAME)
    assert "inline" not in str(info.value) and "one place" in str(info.value)


def _quickstart() -> dict:
    return yaml.safe_load(QUICKSTART.read_text())


def test_study_file_refuses_a_password_in_two_places(tmp_path: Path) -> None:
    doc = {**_quickstart(), "storage": "postgresql://sweep:inline@h/db", "storage_password_env": ENV_NAME}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "storage_password_env" in str(info.value) and "inline" not in str(info.value)
    path.write_text(yaml.safe_dump({**doc, "storage": "postgresql://sweep@h/db", "storage_password_env": "1-bad"}))
    with pytest.raises(UserError, match="storage_password_env"):
        load_config(path)
    path.write_text(yaml.safe_dump({**doc, "storage": "postgresql://sweep@h/db"}))
    assert load_config(path).storage_password_env == ENV_NAME


def test_stored_config_carries_no_password(tmp_path: Path) -> None:
    doc = {**_quickstart(), "storage": f"postgresql://sweep:{quote(SPECIAL, safe='')}@db.example.org/sweeps"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    cfg = load_config(path)
    url = f"sqlite:///{tmp_path / 's.db'}"
    study, _ = open_study(cfg, url, "q")
    attr = study.user_attrs[CONFIG_ATTR]
    assert attr["storage"] == "postgresql://sweep@db.example.org/sweeps"
    restored = stored_config(url, "q")
    assert restored == cfg.model_copy(update={"storage": "postgresql://sweep@db.example.org/sweeps"})
    assert not _leaks((tmp_path / "s.db").read_bytes().decode("latin-1"), SPECIAL, quote(SPECIAL, safe=""))


def test_cli_validate_and_bad_url_mask_the_password(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    secret = quote(SPECIAL, safe="")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**_quickstart(), "storage": f"postgresql://sweep:{secret}@db.example.org/x"}))
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "postgresql://sweep:***@db.example.org/x" in re.sub(r"\s+", "", out)
    assert not _leaks(out, SPECIAL, secret)
    for argv in (["status", "--storage", f"mysql://sweep:{secret}@h/db"],
                 ["pareto", "--storage", f"postgresql://sweep:{SPECIAL}@h/db", "--study-name", "x"],
                 ["run", "--storage", f"oracle://sweep:{secret}@h/db", "--study-name", "x"]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("error: ") and "***" in captured.err, captured.err
        assert not _leaks(captured.out + captured.err, SPECIAL, secret), captured.err


# ---------------------------------------------------------------- end to end, real PostgreSQL with a password


@pytest.fixture(scope="module")
def pg_server():
    """(URL without password, the password, a distinctive part of it) of a server that demands the password."""
    token = secrets.token_hex(6)
    password = f"s3cr3t-Pw-{token}-{SPECIAL}"
    with throwaway_postgres(password=password) as url:
        yield url, password, token


def _secret_parts(password: str, token: str) -> tuple[str, ...]:
    return (password, quote(password, safe=""), token)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE", ENV_NAME)}
    env.update({"PYTHONWARNINGS": "ignore", "COLUMNS": "250", "PGPASSFILE": "/nonexistent"})  # no ~/.pgpass
    env.update(extra)
    return env


def _sweep(*args: str, env: dict[str, str] | None = None, expect: int = 0) -> str:
    """Run ``sweep ARGS`` as a user would; return stdout + stderr (the logs included)."""
    done = subprocess.run([sys.executable, "-m", "sweep.cli", *args], env=env or _env(), capture_output=True,
                          text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == expect, (args, done.returncode, output[-3000:])
    if expect == 2:
        assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr
    return output


def _cheap_study(quickstart_dir: Path, tmp_path: Path, name: str = "quickstart", **top: object) -> Path:
    """The cheapest real study (tests/tiny_study.py: a tiny DeepSets, 1 epoch, 40 emulated jets), 1 trial."""
    path = tiny_study(tmp_path, str(top.pop("storage")), quickstart_dir, n_trials=1, name=name)
    doc = yaml.safe_load(path.read_text())
    doc.update(top)
    path.write_text(yaml.safe_dump(doc))
    return path


def _pg_dump(url: str, password: str) -> str:
    parsed = make_url(url)
    done = subprocess.run([str(postgres_bin() / "pg_dump"), "-h", parsed.host, "-p", str(parsed.port),
                           "-U", parsed.username, "-d", parsed.database],
                          env=_env(PGPASSWORD=password), capture_output=True, text=True, timeout=120, check=True)
    assert "optuna" in done.stdout or "study_user_attributes" in done.stdout
    return done.stdout


def _files_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())


def _load(url: str, password: str, name: str) -> optuna.Study:
    with_password = make_url(normalize_url(url)).set(password=password).render_as_string(hide_password=False)
    return optuna.load_study(study_name=name, storage=with_password)


@needs_postgres
def test_password_in_the_url_is_never_shown_nor_stored(pg_server, quickstart_dir: Path, tmp_path: Path) -> None:
    url, password, token = pg_server
    secret = quote(password, safe="")
    with_password = url.replace("sweep@", f"sweep:{secret}@")
    study_file = _cheap_study(quickstart_dir, tmp_path, storage=with_password)
    outputs: dict[str, str] = {}

    outputs["validate"] = _sweep("validate", str(study_file))
    outputs["run"] = _sweep("run", str(study_file), "--n-trials", "1")
    outputs["status"] = _sweep("status", "--storage", with_password)
    outputs["pareto"] = _sweep("pareto", "--storage", with_password, "--study-name", "quickstart")
    outputs["pareto json"] = _sweep("pareto", "--storage", with_password, "--study-name", "quickstart",
                                    "--format", "json")
    outputs["pareto no study"] = _sweep("pareto", "--storage", with_password, "--study-name", "nope", expect=2)
    outputs["plot no study"] = _sweep("plot", "--storage", with_password, "--study-name", "nope",
                                      "--out", str(tmp_path / "p.html"), expect=2)
    outputs["run no study"] = _sweep("run", "--storage", with_password, "--study-name", "nope", expect=2)
    outputs["bad url"] = _sweep("status", "--storage", with_password.replace("postgresql", "mysql"), expect=2)
    wrong = url.replace("sweep@", "sweep:wrong-Pw@")
    outputs["wrong password"] = _sweep("status", "--storage", wrong, expect=2)

    for what, text in outputs.items():
        assert not _leaks(text, *_secret_parts(password, token)), (what, text[-2000:])
    flat = {what: re.sub(r"\s+", "", text) for what, text in outputs.items()}
    shown = "sweep:***@127.0.0.1"
    assert f"storagepostgresql://{shown}" in flat["validate"], outputs["validate"]
    assert f"'quickstart'createdinpostgresql://{shown}" in flat["run"], outputs["run"][-2000:]
    assert f"studiesinpostgresql://{shown}" in flat["status"], outputs["status"]
    assert "quickstart" in outputs["status"] and "Paretofrontof'quickstart'" in flat["pareto"]
    for what in ("pareto no study", "plot no study", "run no study"):
        assert f"nostudy'nope'inpostgresql://{shown}" in flat[what], outputs[what]
    assert f"storage'mysql://{shown}" in flat["bad url"] and "unsupporteddatabase'mysql'" in flat["bad url"]
    assert "password authentication failed" in outputs["wrong password"] and "wrong-Pw" not in outputs["wrong password"]

    study = _load(url, password, "quickstart")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE]
    assert study.user_attrs[CONFIG_ATTR]["storage"] == url  # the file's URL without its password
    dump = _pg_dump(url, password)
    assert url.split("://")[1] in dump  # the stored config is in the dump, its URL without password
    assert not _leaks(dump, *_secret_parts(password, token))
    # the study file holds the password (the user wrote it there); nothing the sweep wrote does
    assert not _leaks(_files_text(tmp_path / "projects"), *_secret_parts(password, token))


@needs_postgres
def test_password_from_env_pgpassword_and_pgpass(pg_server, quickstart_dir: Path, tmp_path: Path) -> None:
    url, password, token = pg_server
    study_file = _cheap_study(quickstart_dir, tmp_path, name="from_env", storage=url, storage_password_env=ENV_NAME)
    outputs: dict[str, str] = {}

    # the server really demands the password: without one nothing connects
    outputs["no password"] = _sweep("status", "--storage", url, expect=2)
    assert "cannot connect" in outputs["no password"] and "no password supplied" in outputs["no password"]
    out = _sweep("run", str(study_file), expect=2)
    assert f"environment variable {ENV_NAME} is not set" in out

    # storage_password_env: the study file names the variable, the URL carries no password
    outputs["validate"] = _sweep("validate", str(study_file), env=_env(**{ENV_NAME: password}))
    assert f"(passwordfrom${ENV_NAME})" in re.sub(r"\s+", "", outputs["validate"])
    outputs["run env"] = _sweep("run", str(study_file), env=_env(**{ENV_NAME: password}))
    assert "'from_env'createdinpostgresql+psycopg://sweep:***@127.0.0.1" in re.sub(r"\s+", "", outputs["run env"])

    # PGPASSWORD (libpq): another machine continues the study from the storage URL alone, no password in it
    outputs["run PGPASSWORD"] = _sweep("run", "--storage", url, "--study-name", "from_env", "--n-trials", "1",
                                       env=_env(PGPASSWORD=password))
    assert "'from_env'continuedin" in re.sub(r"\s+", "", outputs["run PGPASSWORD"])

    # ~/.pgpass (here via PGPASSFILE): host:port:database:user:password, ':' and '\' escaped, mode 0600
    parsed = make_url(url)
    pgpass = tmp_path / "pgpass"
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    pgpass.write_text(f"{parsed.host}:{parsed.port}:{parsed.database}:{parsed.username}:{escaped}\n")
    pgpass.chmod(0o600)
    outputs["status pgpass"] = _sweep("status", "--storage", url, env=_env(PGPASSFILE=str(pgpass)))
    assert "from_env" in outputs["status pgpass"]
    pgpass.unlink()

    for what, text in outputs.items():
        assert not _leaks(text, *_secret_parts(password, token)), (what, text[-2000:])
    study = _load(url, password, "from_env")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert study.user_attrs[CONFIG_ATTR]["storage"] == url
    assert study.user_attrs[CONFIG_ATTR]["storage_password_env"] == ENV_NAME  # a name, not a secret
    assert not _leaks(_pg_dump(url, password), *_secret_parts(password, token))
    assert not _leaks(_files_text(tmp_path), *_secret_parts(password, token))
