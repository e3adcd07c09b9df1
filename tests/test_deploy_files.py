"""The deployment files (docker/, cluster/, .dockerignore) agree with the project (issue 12, part 5).

Pure parsing, no Docker engine or batch system: the compose file's services, health check, replicas,
shared volume and password handling; both Dockerfiles install exactly requirements.lock with the Makefile's
own pip commands and nothing by name; every ``sweep`` invocation in these files (compose entrypoints and
commands, what the SLURM/HTCondor wrapper really executes, and the commands their comments and READMEs
show) parses with the real CLI; the SLURM script is valid bash with an array directive; the HTCondor
submit file queues the wrapper with the variables it needs. The parsing helpers are also run on bad
examples, so each check is seen to fail.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
WORKER_DOCKERFILE = DOCKER / "worker.Dockerfile"
DASHBOARD_DOCKERFILE = DOCKER / "dashboard.Dockerfile"
DOCKERFILES = (WORKER_DOCKERFILE, DASHBOARD_DOCKERFILE)
SLURM = ROOT / "cluster" / "slurm_workers.sh"
CONDOR = ROOT / "cluster" / "htcondor_workers.sub"
READMES = (DOCKER / "README.md", ROOT / "cluster" / "README.md")
LOCK = ROOT / "requirements.lock"
MAKEFILE = ROOT / "Makefile"

#: Every file whose text may show a ``sweep`` command line.
DEPLOY_FILES = (*DOCKERFILES, COMPOSE, SLURM, CONDOR, *READMES)
#: Variables the cluster workers are configured with.
CLUSTER_ENV = ("HLS_SWEEP_STORAGE", "HLS_SWEEP_STUDY", "HLS_SWEEP_TRIALS_PER_TASK")
#: Packages whose versions the images must take from the lock.
KEY_PACKAGES = ("optuna", "optuna-dashboard", "tensorflow-cpu", "hls4ml")


# ---------------------------------------------------------------------------------------------------------
# helpers


def cli_command() -> Any:
    """The click group behind the ``sweep`` console script."""
    import typer

    from sweep.cli import app

    return typer.main.get_command(app)


def check_invocation(argv: list[str]) -> str | None:
    """Why ``sweep *argv`` does not parse with the real CLI (unknown command or option, bad value), or None.

    Parses like click does before invoking, without invoking anything: the subcommand is resolved on the
    group, then its own context is made from the remaining arguments.
    """
    group = cli_command()
    ctx = group.context_class(group, info_name="sweep")
    words = list(argv)
    while words:
        name, words = words[0], words[1:]
        command = group.get_command(ctx, name) if hasattr(group, "get_command") else None
        if command is None:
            return f"no command {name!r} (known: {', '.join(sorted(group.list_commands(ctx)))})"
        try:
            sub_ctx = command.make_context(name, list(words), parent=ctx)
        except Exception as exc:  # click's UsageError / BadParameter (typer vendors click)
            message = getattr(exc, "format_message", lambda: str(exc))()
            return f"sweep {' '.join(argv)}: {message}"
        if not hasattr(command, "list_commands"):  # a leaf command: parsed
            return None
        group, ctx = command, sub_ctx  # a sub-group (`sweep data generate`): go on with its arguments
        words = [*getattr(sub_ctx, "_protected_args", getattr(sub_ctx, "protected_args", [])), *sub_ctx.args]
    return "no command given"


def command_options(argv: list[str]) -> str | None:
    """Like :func:`check_invocation`, but only the command and option *names* are checked (for commands
    shown in prose, whose values are placeholders such as ``URL`` or ``N``)."""
    group = cli_command()
    ctx = group.context_class(group, info_name="sweep")
    command = group.get_command(ctx, argv[0])
    if command is None:
        return f"no command {argv[0]!r}"
    if hasattr(command, "list_commands") and len(argv) > 1:
        sub = command.get_command(ctx, argv[1])
        if sub is not None:
            command, argv = sub, argv[1:]
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
    unknown = [word.split("=", 1)[0] for word in argv[1:]
               if word.startswith("--") and word.split("=", 1)[0] not in known]
    return f"sweep {argv[0]}: no option {', '.join(unknown)}" if unknown else None


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, env: dict[str, str] | None = None) -> str:
    """Compose-style ``${VAR}``, ``${VAR:-default}``, ``${VAR:?message}`` with ``env`` (defaults otherwise;
    a required variable without a value becomes ``<VAR>``)."""
    env = env or {}

    def replace(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        if op in (":-", "-"):
            return value if value else arg
        if op in (":?", "?"):
            return value if value else f"<{name}>"
        return value or ""

    return _INTERPOLATION.sub(replace, text).replace("$$", "$")


def strings_in(node: Any) -> Iterator[str]:
    """Every string (keys too) of a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)


_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", re.IGNORECASE)


def urls_with_password(text: str) -> list[str]:
    """URLs in ``text`` that carry a password (``scheme://user:pw@host`` or ``?password=``)."""
    from sqlalchemy.engine import make_url

    found = []
    for url in _URL.findall(text):
        if re.search(r"[?&]password=", url, re.IGNORECASE) or re.match(r"[^:]+://[^/@:]*:[^/@]+@", url):
            found.append(url)
            continue
        if url.startswith(("postgres", "sqlite", "mysql")):
            try:
                if make_url(url).password:
                    found.append(url)
            except Exception:
                pass
    return found


def makefile_pip_installs() -> list[list[str]]:
    """Arguments after ``pip install`` of each pip command in the Makefile's setup recipe."""
    installs = []
    for line in MAKEFILE.read_text().splitlines():
        if re.search(r"\bpip install\b", line) and line.startswith("\t"):
            installs.append(shlex.split(line.split("pip install", 1)[1]))
    return installs


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for raw in path.read_text().splitlines():
        if raw.lstrip().startswith("#") and not current:
            continue
        if raw.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        current += raw.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        if current.strip():
            keyword, _, rest = current.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def pip_installs(run_commands: list[str]) -> list[list[str]]:
    """Arguments after ``pip install`` (also ``python -m pip install``) in shell command lines."""
    installs = []
    for command in run_commands:
        for part in re.split(r"&&|\|\||;", command):
            words = shlex.split(part)
            for index in range(len(words) - 1):
                if words[index].endswith("pip") and words[index + 1] == "install":
                    installs.append(words[index + 2:])
    return installs


def other_installers(run_commands: list[str]) -> list[str]:
    """Shell commands that install Python packages without pip (uv, pipx, conda, easy_install, setup.py)."""
    pattern = re.compile(r"\b(uv pip|uv add|pipx|conda|mamba|easy_install|setup\.py install|poetry)\b")
    return [c for c in run_commands if pattern.search(c)]


def classify_pip_install(args: list[str], makefile: list[list[str]]) -> str:
    """``pip``, ``lock`` or ``project`` when ``args`` is the Makefile's upgrade of pip, its lock install or
    its project install (same flags; paths may differ), else ``other``."""
    def flags(words: list[str]) -> list[str]:
        return [w for w in words if w.startswith("-") and w not in ("-r", "-e")]

    def targets(words: list[str]) -> list[str]:
        out, skip = [], False
        for word in words:
            if skip:
                skip = False
                continue
            if word == "-r":
                skip = True
                continue
            if not word.startswith("-"):
                out.append(word)
        return out

    for make in makefile:
        if "-r" in make and "-r" in args:
            lock = args[args.index("-r") + 1]
            if Path(lock).name == LOCK.name and flags(args) == flags(make) and not targets(args):
                return "lock"
        elif make[-1:] == ["pip"] and args == make:
            return "pip"
        elif "--no-deps" in make and "--no-deps" in args and "-r" not in args:
            same_flags = [f for f in flags(make) if f != "-e"] == [f for f in flags(args) if f != "-e"]
            if same_flags and len(targets(args)) == 1:
                return "project"
    return "other"


def exec_form(text: str) -> list[str]:
    """The words of an ENTRYPOINT/CMD in exec (JSON) form or shell form."""
    import json

    text = text.strip()
    return json.loads(text) if text.startswith("[") else shlex.split(text)


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def service_argv(name: str, service: dict) -> list[str] | None:
    """``sweep`` arguments a compose service runs (its entrypoint, else its Dockerfile's, plus its
    command), interpolated with the defaults; None for services that do not run ``sweep``."""
    entrypoint = service.get("entrypoint")
    if entrypoint is None and "build" in service:
        dockerfile = ROOT / service["build"].get("dockerfile", "Dockerfile")
        for keyword, rest in dockerfile_instructions(dockerfile):
            if keyword == "ENTRYPOINT":
                entrypoint = exec_form(rest)
    if entrypoint is None:
        return None
    entrypoint = shlex.split(entrypoint) if isinstance(entrypoint, str) else list(entrypoint)
    command = service.get("command") or []
    command = shlex.split(command) if isinstance(command, str) else list(command)
    words = [interpolate(str(w)) for w in [*entrypoint, *command]]
    if not words or Path(words[0]).name != "sweep":
        return None
    return words[1:]


_SHOWN = re.compile(r"(?<![\w.-])sweep ((?:[a-z][a-z-]*)(?: [^\n`|;&#)]*)?)")


def shown_invocations(text: str) -> list[list[str]]:
    """``sweep <command> [words]`` shown in a text (comments, READMEs, scripts): the words up to the end of
    the line or a shell separator, keeping those that name the command and its ``--options``. A mention
    counts when it names a known command or gives options (prose such as "the sweep containers" does not)."""
    group = cli_command()
    ctx = group.context_class(group, info_name="sweep")
    known = set(group.list_commands(ctx))
    found = []
    for match in _SHOWN.finditer(text):
        words = match.group(1).split()
        if words[0] in known or any(w.startswith("--") for w in words[1:]):
            found.append(words)
    return found


def condor_submit(text: str) -> tuple[dict[str, str], list[str]]:
    """(lower-cased submit commands → value, queue statements) of an HTCondor submit description."""
    commands, queues = {}, []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"queue\b", line, re.IGNORECASE):
            queues.append(line)
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a submit command: {line!r}"
        commands[key.strip().lower()] = value.strip()
    return commands, queues


def sbatch_directives(text: str) -> dict[str, str]:
    """``#SBATCH --name=value`` directives (before the first command, as SLURM reads them)."""
    directives = {}
    for line in text.splitlines():
        if line.startswith("#SBATCH"):
            option = line.split(None, 1)[1].strip()
            key, _, value = option.partition("=")
            directives[key] = value
        elif line.strip() and not line.startswith("#"):
            break
    return directives


def dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative to the root) out of the build context."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(c, pattern.replace("**/", "")) for c in candidates):
            excluded = not negate
    return excluded


# ---------------------------------------------------------------------------------------------------------
# the helpers fail where they should


def test_helpers_catch_bad_examples() -> None:
    assert check_invocation(["worker", "--study-name", "s"]) is None
    assert "no command" in check_invocation(["wrker", "--study-name", "s"])
    assert check_invocation(["worker", "--study-nam", "s"]) is not None
    assert check_invocation(["worker", "--n-trials", "zero"]) is not None  # a bad value
    assert check_invocation(["worker", "--n-trials", "0"]) is not None  # below min=1
    assert check_invocation(["data", "info", "x.h5", "--json"]) is None  # a sub-group's command
    assert command_options(["dashboard", "--storage", "URL", "--bind", "0.0.0.0"]) is not None
    assert command_options(["run", "STUDY.yaml", "--storage", "URL", "--n-trials", "N"]) is None
    assert interpolate("${A:-x}/${B:?need B}/${C}", {"C": "c"}) == "x/<B>/c"
    assert urls_with_password("postgresql://sweep:hunter2@postgres/sweep")
    assert urls_with_password("url: postgresql+psycopg://u@h/db?password=x")
    assert not urls_with_password("postgresql://sweep@postgres:5432/sweep grpc://proxy:13000")
    assert shown_invocations("the sweep containers; `sweep worker --storage URL` joins") == [
        ["worker", "--storage", "URL"]]
    makefile = makefile_pip_installs()
    assert classify_pip_install(["-q", "-r", "/app/requirements.lock"], makefile) == "lock"
    assert classify_pip_install(["-r", "/app/requirements.lock"], makefile) != "lock"  # other flags
    assert classify_pip_install(["-q", "optuna==5.0.0"], makefile) == "other"
    assert classify_pip_install(["-q", "-r", "/app/requirements.lock", "optuna"], makefile) == "other"
    assert classify_pip_install(["-q", "/app"], makefile) == "other"  # the project with its dependencies


# ---------------------------------------------------------------------------------------------------------
# docker compose


def test_compose_services_health_and_replicas() -> None:
    doc = compose()
    services = doc["services"]
    assert {"postgres", "dashboard", "worker"} <= set(services)
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    data_volume = [v.split(":")[0] for v in postgres["volumes"] if v.endswith("/var/lib/postgresql/data")]
    assert data_volume and data_volume[0] in doc["volumes"]

    worker = services["worker"]
    assert interpolate(str(worker["deploy"]["replicas"])) == "4"
    assert interpolate(str(worker["deploy"]["replicas"]), {"WORKERS": "9"}) == "9"
    for name in ("create", "worker", "dashboard"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name
    assert "8080" in " ".join(map(str, services["dashboard"]["ports"]))


def test_compose_creates_the_study_before_workers_and_dashboard_start() -> None:
    services = compose()["services"]
    argv = service_argv("create", services["create"])
    assert argv is not None and argv[0] == "create" and argv[1].endswith(".yaml")  # makes the study, runs none
    for name in ("worker", "dashboard"):
        assert services[name]["depends_on"]["create"]["condition"] == "service_completed_successfully", name
    # the study file the creation step reads exists (default STUDY)
    study_file = argv[1].replace("/app/studies/", "")
    assert (ROOT / "studies" / study_file).is_file()


def test_compose_shares_one_volume_for_artifacts_and_cache() -> None:
    doc = compose()
    services = doc["services"]
    mounts = {}
    for name in ("create", "worker", "dashboard"):
        volumes = [v for v in services[name].get("volumes", []) if not v.lstrip().startswith(("/", ".", "~"))]
        mounts[name] = {v.split(":")[0]: v.split(":")[1] for v in volumes}
    shared = set.intersection(*(set(m) for m in mounts.values()))
    assert shared, mounts
    volume = shared.pop()
    assert volume in doc["volumes"]
    # the same absolute path in every container: the artifact store path stored in the study resolves everywhere
    assert len({m[volume] for m in mounts.values()}) == 1
    path = mounts["worker"][volume]
    for name in ("create", "worker"):
        cache = services[name]["environment"]["HLS_SWEEP_CACHE"]
        assert cache.startswith(path + "/"), (name, cache)
    # and it is the images' working directory, against which a study's relative artifacts_dir resolves
    for dockerfile in DOCKERFILES:
        workdirs = [rest for keyword, rest in dockerfile_instructions(dockerfile) if keyword == "WORKDIR"]
        assert workdirs[-1] == path, dockerfile.name


def test_compose_never_holds_the_password() -> None:
    text = COMPOSE.read_text()
    doc = yaml.safe_load(text)
    services = doc["services"]
    secret = "Hunter2-not-in-urls"
    everything = "\n".join(interpolate(s, {"POSTGRES_PASSWORD": secret}) for s in strings_in(doc))
    assert not urls_with_password(everything)
    assert not urls_with_password(text)
    # the password comes only from the environment, as POSTGRES_PASSWORD (server) and PGPASSWORD (clients)
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD(:\?[^}]*)?\}", services["postgres"]["environment"]["POSTGRES_PASSWORD"])
    for name in ("create", "worker", "dashboard"):
        env = services[name]["environment"]
        assert interpolate(env["PGPASSWORD"], {"POSTGRES_PASSWORD": secret}) == secret, name
        argv = service_argv(name, services[name]) or []
        assert secret not in " ".join(interpolate(w, {"POSTGRES_PASSWORD": secret}) for w in argv)
    assert secret not in everything.replace(f"PGPASSWORD\n{secret}", "").replace(f"POSTGRES_PASSWORD\n{secret}", "")


def test_compose_sweep_commands_parse_with_the_cli() -> None:
    services = compose()["services"]
    checked = []
    for name, service in services.items():
        argv = service_argv(name, service)
        if argv is None:
            continue
        assert check_invocation(argv) is None, (name, check_invocation(argv))
        checked.append(name)
    assert {"create", "worker", "dashboard"} <= set(checked)
    assert service_argv("worker", services["worker"])[0] == "worker"
    dashboard = service_argv("dashboard", services["dashboard"])
    assert dashboard[0] == "dashboard"
    assert dashboard[dashboard.index("--host") + 1] == "0.0.0.0"  # reachable from outside the container


def _compose_plugin() -> bool:
    import shutil

    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _compose_plugin(),
                    reason="the docker compose plugin is not installed (the file is still checked as YAML)")
def test_compose_config_validates() -> None:
    env = {**os.environ, "POSTGRES_PASSWORD": "x"}
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------------------
# Dockerfiles


def test_dockerfiles_install_exactly_the_lock_like_the_makefile() -> None:
    makefile = makefile_pip_installs()
    assert any("-r" in args and LOCK.name in args for args in makefile)
    for dockerfile in DOCKERFILES:
        instructions = dockerfile_instructions(dockerfile)
        runs = [rest for keyword, rest in instructions if keyword == "RUN"]
        kinds = [classify_pip_install(args, makefile) for args in pip_installs(runs)]
        assert "other" not in kinds, (dockerfile.name, pip_installs(runs))
        assert kinds.count("lock") == 1 and kinds.count("project") == 1, (dockerfile.name, kinds)
        assert kinds.index("lock") < kinds.index("project"), dockerfile.name
        assert not other_installers(runs), dockerfile.name
        # the lock installed is the repository's requirements.lock, copied in before
        lock_args = next(a for a in pip_installs(runs) if classify_pip_install(a, makefile) == "lock")
        lock_path = lock_args[lock_args.index("-r") + 1]
        copies = [exec_form(rest) if rest.startswith("[") else rest.split()
                  for keyword, rest in instructions if keyword == "COPY"]
        assert any(c[:-1] == [LOCK.name] and c[-1] in (lock_path, str(Path(lock_path).parent) + "/")
                   for c in copies), (dockerfile.name, copies)
        base = [rest for keyword, rest in instructions if keyword == "FROM"]
        assert base == ["python:3.11-slim-bookworm"], dockerfile.name


def test_images_get_the_locked_versions() -> None:
    lock = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if match:
            lock[match[1].lower()] = match[2]
    for package in KEY_PACKAGES:
        assert package in lock, package
    import importlib.metadata

    for package in KEY_PACKAGES:  # the lock is what this environment runs too (tests/test_lock.py: all of it)
        assert importlib.metadata.version(package) == lock[package], package
    for dockerfile in DOCKERFILES:
        text = "\n".join(rest for keyword, rest in dockerfile_instructions(dockerfile) if keyword == "RUN")
        for package in KEY_PACKAGES:  # never installed by name, at another version, beside the lock
            assert not re.search(rf"(?<![\w-]){re.escape(package)}\s*(==|>=|<=|~=|\s|$)", text), (dockerfile.name, package)


def test_dockerfiles_copy_what_exists_and_keep_it_in_the_context() -> None:
    for dockerfile in DOCKERFILES:
        for keyword, rest in dockerfile_instructions(dockerfile):
            if keyword != "COPY" or rest.startswith("--from"):
                continue
            sources = (exec_form(rest) if rest.startswith("[") else rest.split())[:-1]
            for source in sources:
                assert (ROOT / source).exists(), (dockerfile.name, source)
                assert not dockerignore_excludes(source), (dockerfile.name, source, "excluded by .dockerignore")
    for heavy in (".venv", ".git", "hls_projects", ".hls_sweep_cache", "sweeps.db", "sweep/__pycache__",
                  "docker/.env"):
        assert dockerignore_excludes(heavy), heavy
    assert not dockerignore_excludes("sweep/cli/__init__.py")


def test_worker_image_has_a_compiler_and_runs_the_worker() -> None:
    instructions = dockerfile_instructions(WORKER_DOCKERFILE)
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    apt = re.search(r"apt-get install ([^&]*)", runs)
    assert apt and {"g++", "make"} <= set(apt[1].split())
    entry = [exec_form(rest) for keyword, rest in instructions if keyword == "ENTRYPOINT"][-1]
    assert entry[:2] == ["sweep", "worker"]
    assert check_invocation([*entry[1:], "--study-name", "s"]) is None


def test_dashboard_image_listens_on_8080_everywhere() -> None:
    instructions = dockerfile_instructions(DASHBOARD_DOCKERFILE)
    entry = [exec_form(rest) for keyword, rest in instructions if keyword == "ENTRYPOINT"][-1]
    assert entry[:2] == ["sweep", "dashboard"]
    assert entry[entry.index("--host") + 1] == "0.0.0.0" and entry[entry.index("--port") + 1] == "8080"
    assert check_invocation(entry[1:]) is None
    assert "8080" in [rest for keyword, rest in instructions if keyword == "EXPOSE"]


# ---------------------------------------------------------------------------------------------------------
# every `sweep ...` the deployment files show


def test_every_sweep_command_shown_exists() -> None:
    seen = 0
    for path in DEPLOY_FILES:
        for words in shown_invocations(path.read_text()):
            assert command_options(words) is None, (path.relative_to(ROOT), words, command_options(words))
            seen += 1
    assert seen >= 8  # the READMEs and comments do show commands


# ---------------------------------------------------------------------------------------------------------
# SLURM and HTCondor


def test_slurm_script_is_bash_with_an_array() -> None:
    result = subprocess.run(["bash", "-n", str(SLURM)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    directives = sbatch_directives(SLURM.read_text())
    assert re.fullmatch(r"\d+-\d+(%\d+)?", directives["--array"])
    assert "%a" in directives["--output"]  # one log per array task
    for key in ("--cpus-per-task", "--mem", "--time"):
        assert directives.get(key), key
    assert os.access(SLURM, os.X_OK)


def _fake_venv(folder: Path) -> Path:
    """A virtualenv stand-in whose ``sweep`` records its arguments and storage variable, one per line."""
    bin_dir = folder / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "activate").write_text(f'export VIRTUAL_ENV="{folder / "venv"}"\nexport PATH="{bin_dir}:$PATH"\n')
    sweep = bin_dir / "sweep"
    sweep.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$ARGS_OUT"\n'
                     'printf "%s\\n" "$HLS_SWEEP_STORAGE" > "$ARGS_OUT.storage"\n')
    sweep.chmod(0o755)
    return folder / "venv"


def _run_wrapper(tmp_path: Path, extra_env: dict[str, str]) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "args.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HLS_SWEEP_", "SLURM_"))}
    env.update({"ARGS_OUT": str(out), "HLS_SWEEP_VENV": str(_fake_venv(tmp_path)), **extra_env})
    result = subprocess.run(["bash", str(SLURM)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    return result, out


def test_slurm_wrapper_runs_a_valid_worker_and_hides_the_password(tmp_path: Path) -> None:
    secret = "s3cr%40t-Pa55"
    storage = f"postgresql://sweep:{secret}@db.example:5432/sweeps"
    result, out = _run_wrapper(tmp_path, {"HLS_SWEEP_STORAGE": storage, "HLS_SWEEP_STUDY": "jets",
                                          "HLS_SWEEP_TRIALS_PER_TASK": "3", "HLS_SWEEP_TIMEOUT": "600",
                                          "SLURM_CPUS_PER_TASK": "2", "SLURM_ARRAY_TASK_ID": "1"})
    assert result.returncode == 0, result.stderr
    argv = out.read_text().splitlines()
    assert check_invocation(argv) is None, check_invocation(argv)
    assert argv[0] == "worker" and argv[argv.index("--study-name") + 1] == "jets"
    assert argv[argv.index("--n-trials") + 1] == "3" and argv[argv.index("--timeout") + 1] == "600"
    assert (tmp_path / "args.txt.storage").read_text().strip() == storage  # the worker gets it from the env
    assert secret not in " ".join(argv)  # not in the process list
    assert secret not in result.stdout + result.stderr
    assert "sweep:***@db.example" in result.stdout and "task 1" in result.stdout


def test_slurm_wrapper_optional_and_required_variables(tmp_path: Path) -> None:
    result, out = _run_wrapper(tmp_path, {"HLS_SWEEP_STORAGE": "sqlite:///s.db", "HLS_SWEEP_STUDY": "q"})
    assert result.returncode == 0, result.stderr
    argv = out.read_text().splitlines()
    assert argv == ["worker", "--study-name", "q"] and check_invocation(argv) is None
    missing = tmp_path / "missing"
    missing.mkdir()
    result, out = _run_wrapper(missing, {"HLS_SWEEP_STUDY": "q"})
    assert result.returncode != 0 and "HLS_SWEEP_STORAGE" in result.stderr and not out.exists()
    novenv = tmp_path / "novenv"
    novenv.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HLS_SWEEP_")}
    env.update({"HLS_SWEEP_STORAGE": "sqlite:///s.db", "HLS_SWEEP_STUDY": "q", "HLS_SWEEP_VENV": str(novenv)})
    result = subprocess.run(["bash", str(SLURM)], cwd=novenv, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "HLS_SWEEP_VENV" in result.stderr


def test_condor_submit_file() -> None:
    commands, queues = condor_submit(CONDOR.read_text())
    executable = ROOT / commands["executable"]
    assert executable == SLURM and os.access(executable, os.X_OK)  # the same wrapper as SLURM
    assert len(queues) == 1
    count = queues[0].split(None, 1)[1]
    macro = re.fullmatch(r"\$\((\w+)\)", count)
    assert int(commands[macro[1].lower()] if macro else count) >= 1
    getenv = {name.strip() for name in re.split(r"[,\s]+", commands["getenv"]) if name.strip()}
    assert set(CLUSTER_ENV) | {"HLS_SWEEP_VENV"} <= getenv
    assert "PGPASSWORD" not in getenv and getenv.isdisjoint({"true", "True", "TRUE", "*"})
    assert re.fullmatch(r'"(espresso|microcentury|longlunch|workday|tomorrow|testmatch|nextweek)"',
                        commands["+jobflavour"])
    for key in ("log", "output", "error"):
        assert commands[key], key
    assert "$(ProcId)" in commands["output"] and "$(ProcId)" in commands["error"]  # one file per job
    assert commands["environment"].startswith('"') and commands["environment"].endswith('"')
    assert int(commands["request_cpus"]) >= 1 and commands["request_memory"]


def test_condor_parser_rejects_a_broken_file() -> None:
    with pytest.raises(AssertionError):
        condor_submit("executable cluster/slurm_workers.sh\nqueue 4\n")
    commands, queues = condor_submit("executable = x\n")
    assert not queues
