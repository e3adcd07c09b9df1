"""requirements.lock is complete and is what is installed (issue 9, item 5).

Checks, against the interpreter running the tests: (a) every installed distribution is locked at exactly
the locked version and every locked package that applies to this platform is installed; (b) `pip check`
is clean; (c) the pins of pyproject.toml and requirements.in are the lock's versions. The comparison
helpers are small functions, each also run on a bad example so that every check is seen to fail.
Fast: reads metadata only, never imports TensorFlow.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
REQUIREMENTS_IN = ROOT / "requirements.in"
PYPROJECT = ROOT / "pyproject.toml"

PROJECT = "hls-sweep"
# Installer tools that a venv brings by itself: not required to be locked, but checked when they are.
TOOLS = frozenset({"pip", "setuptools", "wheel"})

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*(?P<version>[^\s;,]+)\s*(?:;(?P<marker>.*))?$"
)

try:  # packaging is locked (and installed); the fallback only keeps the helpers usable without it
    from packaging.markers import Marker
    from packaging.version import InvalidVersion, Version
except ImportError:  # pragma: no cover - packaging is in the lock
    Marker = None  # type: ignore[assignment,misc]


def normalize(name: str) -> str:
    """PEP 503 name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def same_version(a: str, b: str) -> bool:
    """PEP 440 equality where packaging is there (1.0 == 1.0.0), else the strings."""
    if Marker is not None:
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            pass
    return a.strip() == b.strip()


def _requirement_lines(text: str) -> list[str]:
    """Logical lines of a requirements file: comments dropped, backslash continuations joined."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    return logical


def parse_pins(text: str) -> tuple[dict[str, tuple[str, str | None]], list[str]]:
    """{normalized name: (version, marker or None)} of a requirements file, and its lines that are not
    an exact `==` pin (options such as --hash are stripped first; other option lines are kept as bad)."""
    pins: dict[str, tuple[str, str | None]] = {}
    not_pinned: list[str] = []
    for line in _requirement_lines(text):
        requirement = re.sub(r"\s--hash[=\s]\S+", "", " " + line).strip()
        match = _PIN.match(requirement)
        if match is None:
            not_pinned.append(line)
            continue
        marker = match.group("marker")
        pins[normalize(match.group("name"))] = (match.group("version"), marker.strip() if marker else None)
    return pins, not_pinned


def applicable(locked: dict[str, tuple[str, str | None]]) -> tuple[dict[str, str], list[str]]:
    """The locked {name: version} whose environment marker holds here. Without packaging, a line with a
    marker cannot be evaluated: it is returned in the second list (skipped, and said so)."""
    wanted: dict[str, str] = {}
    unevaluated: list[str] = []
    for name, (version, marker) in locked.items():
        if marker is None:
            wanted[name] = version
        elif Marker is None:
            unevaluated.append(f"{name}=={version}; {marker}")
        elif Marker(marker).evaluate():
            wanted[name] = version
    return wanted, unevaluated


def installed_distributions() -> dict[str, set[str]]:
    """{normalized name: versions} of every distribution the running interpreter sees (a name shadowed
    on sys.path shows up with each version)."""
    found: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(normalize(name), set()).add(dist.version)
    return found


def lock_vs_installed(installed: dict[str, set[str]], locked_here: dict[str, str],
                      all_locked: set[str] = frozenset()) -> list[str]:
    """Differences between what is installed and the lock, one sentence each (empty: they agree).
    `all_locked` names locked packages whose marker is false here (installed anyway: still a difference
    only if the version differs, so they are looked up there too)."""
    problems = []
    for name, versions in sorted(installed.items()):
        if name == PROJECT:
            continue
        if name not in locked_here:
            if name in TOOLS:
                continue
            if name in all_locked:
                problems.append(f"{name} {sorted(versions)} installed but its lock marker excludes this platform")
            else:
                problems.append(f"{name} {sorted(versions)} installed but not in requirements.lock")
            continue
        wrong = sorted(v for v in versions if not same_version(v, locked_here[name]))
        if wrong:
            problems.append(f"{name} {wrong} installed, locked =={locked_here[name]}")
    for name, version in sorted(locked_here.items()):
        if name not in installed:
            problems.append(f"{name}=={version} locked but not installed")
    return problems


def pins_vs_lock(pins: list[str], locked: dict[str, tuple[str, str | None]]) -> list[str]:
    """Each requirement string must be an exact pin whose version is the locked one."""
    problems = []
    for requirement in pins:
        match = _PIN.match(requirement.strip())
        if match is None:
            problems.append(f"{requirement!r} is not an exact == pin")
            continue
        name, version = normalize(match.group("name")), match.group("version")
        if name not in locked:
            problems.append(f"{requirement!r}: {name} is not in requirements.lock")
        elif not same_version(version, locked[name][0]):
            problems.append(f"{requirement!r}: requirements.lock has {name}=={locked[name][0]}")
    return problems


def pip_check(python: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`python -m pip check`: exit code and output."""
    done = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True, timeout=120, env=env)
    return done.returncode, (done.stdout + done.stderr).strip()


def _locked() -> dict[str, tuple[str, str | None]]:
    locked, not_pinned = parse_pins(LOCK.read_text())
    assert not not_pinned, f"requirements.lock lines that are not exact == pins: {not_pinned}"
    return locked


def _pyproject_requirements() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return list(project["dependencies"]) + extras


# --- the real checks -------------------------------------------------------------------------------

def test_lock_is_fully_pinned_and_says_how_to_regenerate():
    text = LOCK.read_text()
    locked = _locked()
    assert len(locked) > 50, "the lock should hold the transitive dependencies too, not only the direct pins"
    assert "uv pip compile requirements.in -o requirements.lock" in text.split("\n", 3)[1]
    assert "tensorflow-cpu" in locked and "ml-dtypes" in locked  # a direct pin and a transitive one


def test_installed_set_is_the_lock():
    wanted, unevaluated = applicable(_locked())
    if unevaluated:  # only without packaging; then these lines are not checked either way
        import warnings
        warnings.warn(f"environment markers not evaluated (no packaging): {unevaluated}")
    problems = lock_vs_installed(installed_distributions(), wanted, set(_locked()))
    assert not problems, (f"{sys.executable}'s environment differs from requirements.lock "
                          "(`pip install -r requirements.lock` fixes drift):\n" + "\n".join(problems))


def test_pip_check_is_clean():
    code, output = pip_check(sys.executable)
    assert code == 0, output


def test_pyproject_and_requirements_in_pins_are_the_lock():
    locked = _locked()
    in_pins, in_not_pinned = parse_pins(REQUIREMENTS_IN.read_text())
    assert not in_not_pinned, f"requirements.in lines that are not exact == pins: {in_not_pinned}"
    assert len(in_pins) >= 20
    problems = pins_vs_lock(_pyproject_requirements(), locked)
    problems += pins_vs_lock([f"{n}=={v}" for n, (v, _) in in_pins.items()], locked)
    assert not problems, "\n".join(problems)


def test_pyproject_dependencies_are_the_direct_pins():
    """pyproject's dependencies are requirements.in's pins (requirements.in may add setuptools and the
    test tools, which pyproject keeps out of the runtime dependencies)."""
    in_pins, _ = parse_pins(REQUIREMENTS_IN.read_text())
    py_pins, py_not_pinned = parse_pins("\n".join(_pyproject_requirements()))
    assert not py_not_pinned
    assert {n: v for n, (v, _) in py_pins.items()} == {n: v for n, (v, _) in in_pins.items() if n in py_pins}
    assert set(in_pins) - set(py_pins) <= {"setuptools"}


# --- the helpers fail on bad examples --------------------------------------------------------------

BAD_LOCK = """\
# header
numpy==1.26.4 \\
    --hash=sha256:0123
    # via tensorflow-cpu
Keras_Preprocessing==1.1.2
tensorflow-io-gcs-filesystem==0.37.1 ; sys_platform == "win32"
psycopg[binary]==3.3.9 ; python_version >= "3.8"
scipy>=1.10
-e .
"""


def test_parse_pins_bad_example():
    pins, not_pinned = parse_pins(BAD_LOCK)
    assert pins["numpy"] == ("1.26.4", None)
    assert pins["keras-preprocessing"] == ("1.1.2", None)
    assert pins["tensorflow-io-gcs-filesystem"] == ("0.37.1", 'sys_platform == "win32"')
    assert pins["psycopg"][0] == "3.3.9"
    assert not_pinned == ["scipy>=1.10", "-e ."]


@pytest.mark.skipif(Marker is None, reason="packaging not installed: markers cannot be evaluated")
def test_markers_decide_what_applies():
    pins, _ = parse_pins(BAD_LOCK)
    wanted, unevaluated = applicable(pins)
    assert not unevaluated
    assert "tensorflow-io-gcs-filesystem" not in wanted  # win32 only
    assert wanted["psycopg"] == "3.3.9" and wanted["numpy"] == "1.26.4"


def test_lock_vs_installed_bad_examples():
    locked = {"numpy": "1.26.4", "keras": "2.15.0", "setuptools": "65.5.0"}
    good = {"numpy": {"1.26.4"}, "keras": {"2.15.0"}, "setuptools": {"65.5.0"}, "pip": {"26.3"},
            PROJECT: {"0.1.0"}}
    assert lock_vs_installed(good, locked) == []
    assert lock_vs_installed({**good, "numpy": {"2.0.0"}}, locked) == ["numpy ['2.0.0'] installed, locked ==1.26.4"]
    assert lock_vs_installed({**good, "numpy": {"1.26.4", "2.0.0"}}, locked) == [
        "numpy ['2.0.0'] installed, locked ==1.26.4"]
    assert lock_vs_installed({**good, "requests": {"2.0"}}, locked) == [
        "requests ['2.0'] installed but not in requirements.lock"]
    assert lock_vs_installed({**good, "tf-io": {"1"}}, locked, {"tf-io"}) == [
        "tf-io ['1'] installed but its lock marker excludes this platform"]
    missing = {k: v for k, v in good.items() if k != "keras"}
    assert lock_vs_installed(missing, locked) == ["keras==2.15.0 locked but not installed"]
    # a locked tool is held to its version; an unlocked one is not required
    assert lock_vs_installed({**good, "setuptools": {"84.2.1"}}, locked) == [
        "setuptools ['84.2.1'] installed, locked ==65.5.0"]
    assert lock_vs_installed({**good, "wheel": {"0.48.0"}}, locked) == []


def test_pins_vs_lock_bad_examples():
    locked = {"psycopg": ("3.3.9", None), "sqlalchemy": ("2.1.9", None)}
    assert pins_vs_lock(["psycopg[binary]==3.3.9", "SQLAlchemy==2.1.9"], locked) == []
    assert pins_vs_lock(["SQLAlchemy==2.1.8"], locked) == [
        "'SQLAlchemy==2.1.8': requirements.lock has sqlalchemy==2.1.9"]
    assert pins_vs_lock(["optuna==5.0.0"], locked) == ["'optuna==5.0.0': optuna is not in requirements.lock"]
    assert pins_vs_lock(["SQLAlchemy>=2"], locked) == ["'SQLAlchemy>=2' is not an exact == pin"]


def test_pip_check_fails_on_a_broken_environment(tmp_path):
    """A distribution whose requirement is missing, put on the path of a subprocess: pip check exits 1."""
    info = tmp_path / "broken_example-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-example\nVersion: 1.0\n"
                                   "Requires-Dist: hls-sweep-no-such-package==1.0\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONWARNINGS": "ignore"}
    code, output = pip_check(sys.executable, env)
    assert code != 0
    assert "hls-sweep-no-such-package" in output
