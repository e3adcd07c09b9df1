"""Per-trial files in the study's Optuna artifact store (a shared folder; optuna-dashboard lists them).

The store's absolute path is a study user attribute (``artifact_store``), set when the study is created, so
every worker and every later command (``synth``, ``export``, ``report``) finds the same files from the storage
URL alone. A COMPLETE trial records ``artifact_ids = {kind: artifact_id}`` for :data:`ARTIFACT_KINDS`.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import shutil
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact
from optuna.artifacts.exceptions import ArtifactNotFound

from sweep.errors import UserError

#: Study user attribute holding the store's absolute folder.
STORE_ATTR = "artifact_store"
#: Trial user attribute ``{kind: artifact_id}``.
IDS_ATTR = "artifact_ids"

#: What every COMPLETE trial stores, and the file name each kind is uploaded as.
ARTIFACT_FILES: dict[str, str] = {
    "model": "model.h5",                        # the trained (pruned, snapped) QKeras model
    "hls4ml_project": "hls4ml_project.tar.gz",  # the written project, without build outputs
    "hls4ml_config": "hls4ml_config.json",      # hls_config used + layer precisions + hls4ml settings
    "hardware_cost": "hardware_cost.json",      # values, their sources and notes
    "profile": "profile.html",                  # per-layer ranges vs fixed-point types (plotly)
    "roc": "roc.html",                          # classification only: Keras vs emulated ROC (plotly)
    "response": "response.html",                # regression only: (pred - true)/true vs true (plotly)
    "x_test": "x_test.npy",                     # the emulated samples
    "y_test": "y_test.npy",                     # their labels
}
ARTIFACT_KINDS: tuple[str, ...] = tuple(ARTIFACT_FILES)
#: Kinds stored once per content (the same test samples serve many trials); their ids derive from a hash.
SHARED_KINDS = ("x_test", "y_test")
#: plotly pages: stored without plotly.js (4.7 MB), which the store keeps once per study as a study artifact
#: that the page loads by a relative URL (served so by optuna-dashboard); :func:`fetch_artifact` inlines it.
HTML_KINDS = ("profile", "roc", "response")
_PLOTLY_TAG = '<script src="../{id}" charset="utf-8" data-hls-sweep="plotly.js"></script>'
#: Key prefix of Optuna's per-trial artifact records (``optuna.artifacts.upload_artifact``; the dashboard reads it).
_META_PREFIX = "artifacts:"


def resolve_store_path(path: str | Path) -> str:
    """The absolute folder of a store given relative to the working directory."""
    return str(Path(path).expanduser().resolve())


def store_path_of(study: optuna.Study) -> Path:
    """The store folder recorded in the study (:class:`UserError` if none, or if it is not there)."""
    path = study.user_attrs.get(STORE_ATTR)
    if not path:
        raise UserError(f"artifact store of study {study.study_name!r} not found: the study records none "
                        "(made before hls-sweep kept artifacts)")
    if not Path(path).is_dir():
        raise UserError(f"artifact store {path} of study {study.study_name!r} not found "
                        "(is the shared folder mounted here?)")
    return Path(path)


def artifact_store_of(study: optuna.Study) -> FileSystemArtifactStore:
    """The study's file-system artifact store."""
    return FileSystemArtifactStore(store_path_of(study))


def _content_id(path: Path) -> str:
    """A dashboard-servable id (hex and dashes) derived from the file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return str(uuid.UUID(digest.hexdigest()[:32]))


def _link_shared(trial: optuna.Trial, store: FileSystemArtifactStore, path: Path) -> str:
    """Store ``path`` once under its content id (if not there yet) and list it on ``trial`` like
    ``upload_artifact`` does, so the dashboard shows it with the trial."""
    artifact_id = _content_id(path)
    try:
        store.open_reader(artifact_id).close()
    except ArtifactNotFound:
        with open(path, "rb") as handle:
            store.write(artifact_id, handle)
    mimetype, encoding = mimetypes.guess_type(path.name)
    meta = {"artifact_id": artifact_id, "filename": path.name,
            "mimetype": mimetype or "application/octet-stream", "encoding": encoding}
    trial.storage.set_trial_system_attr(trial._trial_id, _META_PREFIX + artifact_id, json.dumps(meta))
    return artifact_id


def plotly_js_path() -> Path:
    """plotly.js as bundled with the installed plotly package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@lru_cache(maxsize=1)
def plotly_js_id() -> str:
    """The artifact id of plotly.js in every store (derived from its content)."""
    return _content_id(plotly_js_path())


def plotly_script_tag() -> str:
    """The ``<script>`` a stored plotly page loads plotly.js with (the study artifact, by relative URL)."""
    return _PLOTLY_TAG.format(id=plotly_js_id())


def write_plotly_page(figure: Any, path: Path) -> Path:
    """``figure`` as an HTML page that loads plotly.js from the study's store (see :data:`HTML_KINDS`)."""
    html = figure.to_html(include_plotlyjs=False, full_html=True)
    Path(path).write_text(html.replace("</head>", plotly_script_tag() + "</head>", 1), encoding="utf-8")
    return Path(path)


def _store_plotly_js(study: optuna.Study, store: FileSystemArtifactStore) -> None:
    """Keep plotly.js once in the store, listed as a study artifact (the dashboard serves it from there)."""
    source, artifact_id = plotly_js_path(), plotly_js_id()
    try:
        store.open_reader(artifact_id).close()
    except ArtifactNotFound:
        with open(source, "rb") as handle:
            store.write(artifact_id, handle)
    meta = {"artifact_id": artifact_id, "filename": "plotly.min.js", "mimetype": "text/javascript", "encoding": None}
    study._storage.set_study_system_attr(study._study_id, _META_PREFIX + artifact_id, json.dumps(meta))


def _inline_plotly_js(html: str, study: optuna.Study, store: FileSystemArtifactStore) -> str:
    """A stored plotly page made self-contained: plotly.js inline instead of its relative URL."""
    tag = plotly_script_tag()
    if tag not in html:
        return html
    try:
        with store.open_reader(plotly_js_id()) as reader:
            script = reader.read().decode("utf-8")
    except ArtifactNotFound:
        script = plotly_js_path().read_text(encoding="utf-8")
    return html.replace(tag, f'<script type="text/javascript">{script}</script>', 1)


def upload_trial_artifacts(trial: optuna.Trial, store: FileSystemArtifactStore,
                           files: dict[str, Path]) -> dict[str, str]:
    """Upload ``{kind: file}`` for a running trial; returns ``{kind: artifact_id}`` (not yet recorded)."""
    if any(kind in HTML_KINDS for kind in files):
        _store_plotly_js(trial.study, store)
    ids = {}
    for kind, path in files.items():
        if kind in SHARED_KINDS:
            ids[kind] = _link_shared(trial, store, Path(path))
        else:
            ids[kind] = upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)
    return ids


def fetch_artifact(study: optuna.Study, trial: optuna.trial.FrozenTrial, kind: str, dest: Path) -> Path:
    """Download one of the trial's artifacts; ``dest`` is a file path, or an existing folder (the file then
    keeps its uploaded name). Returns the path written; plotly pages come self-contained (plotly.js inline).
    :class:`UserError` if the trial has no such artifact or the store does not hold it."""
    ids: dict[str, str] = trial.user_attrs.get(IDS_ATTR) or {}
    if kind not in ids:
        why = f"only {', '.join(sorted(ids))}" if ids else "none (it is not COMPLETE, or predates artifacts)"
        raise UserError(f"trial {trial.number} of study {study.study_name!r} has no {kind!r} artifact; it has {why}")
    store = artifact_store_of(study)
    artifact_id = ids[kind]
    meta: dict[str, Any] = json.loads(trial.system_attrs.get(_META_PREFIX + artifact_id, "{}"))
    dest = Path(dest)
    target = dest / (meta.get("filename") or ARTIFACT_FILES.get(kind, kind)) if dest.is_dir() else dest
    try:
        reader = store.open_reader(artifact_id)
    except ArtifactNotFound:
        raise UserError(f"artifact store {store_path_of(study)}: the {kind} of trial {trial.number} "
                        f"({artifact_id}) not found") from None
    with reader, open(target, "wb") as writer:
        if kind in HTML_KINDS:
            writer.write(_inline_plotly_js(reader.read().decode("utf-8"), study, store).encode("utf-8"))
        else:
            shutil.copyfileobj(reader, writer)
    return target


def finished_trial(study: optuna.Study, number: int, action: str) -> optuna.trial.FrozenTrial:
    """Trial ``number`` if it is COMPLETE with stored artifacts (what ``action`` — export, trace — needs),
    else a :class:`UserError` saying why not (unknown number, FAIL/PRUNED with its reason, no artifacts)."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if number not in trials:
        known = f"trials 0–{max(trials)}" if trials else "no trials yet"
        raise UserError(f"study {study.study_name!r} has no trial {number} ({known})")
    trial = trials[number]
    if trial.state != optuna.trial.TrialState.COMPLETE:
        reason = trial.user_attrs.get("fail_reason") or trial.user_attrs.get("prune_reason")
        raise UserError(f"trial {number} of study {study.study_name!r} is {trial.state.name}, nothing to {action}"
                        + (f": {reason}" if reason else ""))
    if not trial.user_attrs.get(IDS_ATTR):
        raise UserError(f"trial {number} of study {study.study_name!r} has no stored artifacts "
                        f"(it predates the artifact store); nothing to {action}")
    return trial
