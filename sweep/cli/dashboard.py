"""``sweep dashboard``: optuna-dashboard on a storage, with the study's artifact store attached."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from sweep.errors import UserError

console = Console(stderr=True)
out = Console()

#: Study user attribute holding the absolute path of the study's ``FileSystemArtifactStore`` folder
#: (``sweep.artifacts.STORE_ATTR``, which writes it; kept here so the dashboard needs nothing else).
ARTIFACT_STORE_ATTR = "artifact_store"

_WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def dashboard(
    storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
    study_name: Optional[str] = typer.Option(None, "--study-name",
                                             help="study whose artifact store is attached (default: the only one)"),
    host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8080, min=1, max=65535, help="port to listen on"),
) -> None:
    """Watch studies in optuna-dashboard: Pareto fronts, trial notes (design, metrics with sources, why a
    trial failed) and trial artifacts. Runs until Ctrl-C."""
    import optuna

    from sweep.storage import display_url, open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rdb = open_storage(storage, create=False)
    studies = sorted(rdb.get_all_studies(), key=lambda s: s._study_id)
    if study_name is not None:
        chosen = [s for s in studies if s.study_name == study_name]
        if not chosen:
            raise UserError(f"no study {study_name!r} in {display_url(storage)}")
    else:
        chosen = studies
    store_path, messages = _artifact_store_path(chosen, study_name is not None)
    artifact_store = None
    if store_path is not None:
        from optuna.artifacts import FileSystemArtifactStore

        artifact_store = FileSystemArtifactStore(str(store_path))

    import optuna_dashboard

    app = optuna_dashboard.wsgi(rdb, artifact_store=artifact_store)
    server = _bind(app, host, port)  # the last check that can fail: nothing is printed before it
    for message in messages:
        _say(console, message)
    page = f"/dashboard/studies/{chosen[0]._study_id}" if len(chosen) == 1 else "/dashboard"
    if not studies:
        _say(console, f"{display_url(storage)} holds no study yet; the dashboard shows studies as they are created")
    where = " (listening on every interface)" if host in _WILDCARD_HOSTS else ""
    _say(out, f"optuna-dashboard on {display_url(storage)}: open {_url(host, port)}{page}{where}")
    _say(out, "Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _say(console, "dashboard stopped")
    finally:
        server.server_close()


def _say(where: Console, message: str) -> None:
    """One line as written (no wrapping, no rich markup: paths and URLs may hold brackets)."""
    where.print(message, soft_wrap=True, highlight=False, markup=False)


def _artifact_store_path(studies: list[Any], named: bool) -> tuple[Path | None, list[str]]:
    """The artifact store folder to attach — the named study's, else the one the most studies use (the
    newest study's on a tie) — and the lines that say which one is attached, or that none is. A folder
    that does not exist is a :class:`UserError`."""
    stores: dict[str, list[str]] = {}
    for study in studies:
        value = study.user_attrs.get(ARTIFACT_STORE_ATTR)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"study {study.study_name!r}: its {ARTIFACT_STORE_ATTR} attribute is not a folder "
                            f"path ({value!r})")
        stores.setdefault(value, []).append(study.study_name)
    if not stores:
        if named:
            return None, [f"study {studies[0].study_name!r} has no artifact store: trial artifacts are not served"]
        return None, ["no study here has an artifact store: trial artifacts are not served"] if studies else []
    newest = {path: max(i for i, s in enumerate(studies) if s.study_name in names) for path, names in stores.items()}
    path = max(stores, key=lambda p: (len(stores[p]), newest[p]))
    folder = Path(path)
    if not folder.is_dir():
        owners = ", ".join(repr(n) for n in stores[path])
        state = "is not a folder" if folder.exists() else "does not exist"
        raise UserError(f"artifact store {folder} of study {owners} {state} (moved, or not mounted here?)")
    messages = [f"artifact store {folder} attached (study {', '.join(repr(n) for n in stores[path])})"]
    for other, names in stores.items():
        if other != path:
            messages.append(f"study {', '.join(repr(n) for n in names)} keeps its artifacts in {other}, not "
                            f"served now: `sweep dashboard --study-name {names[0]}` serves them")
    return folder, messages


def _bind(app: Any, host: str, port: int) -> Any:
    """A threaded WSGI server for ``app`` bound to ``host:port`` (requests are not logged); a port in use,
    a host that is not a local address or a refused port is a :class:`UserError`."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    try:
        return make_server(host, port, app, server_class=Server, handler_class=QuietHandler)
    except socket.gaierror:
        raise UserError(f"--host {host!r}: not an address of this machine") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} on {host} is already in use; choose another with --port") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UserError(f"--host {host!r}: not an address of this machine") from None
        if exc.errno == errno.EACCES:
            raise UserError(f"cannot listen on {host}:{port}: permission denied (ports below 1024 need "
                            "privileges); choose another with --port") from None
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _url(host: str, port: int) -> str:
    shown = socket.gethostname() if host in _WILDCARD_HOSTS else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
