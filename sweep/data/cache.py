"""On-disk cache of prepared data sets: one ``<key>.npz`` (+ a readable ``<key>.json``), written atomically.

The key covers the source files (names, sizes, mtimes, a content hash) and the ``data:`` config, so a
changed file or setting never reuses stale arrays. Writers go through a temp file and ``os.replace``;
readers only ever see complete files, and an unreadable entry counts as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sweep.data.prepared import Normalizer, PreparedData

#: Bump when preparation changes in a way that alters the arrays for the same inputs.
PREP_VERSION = 1
_MIB = 1 << 20
_ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def file_fingerprint(path: Path) -> dict:
    """Name, size, mtime and a sha256 of the file (whole if ≤ 2 MiB, else first and last MiB)."""
    st = path.stat()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        if st.st_size <= 2 * _MIB:
            h.update(fh.read())
        else:
            h.update(fh.read(_MIB))
            fh.seek(-_MIB, os.SEEK_END)
            h.update(fh.read(_MIB))
    return {"name": path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}


def cache_key(files: Iterable[Path], config_json: str) -> str:
    """sha256 over the files' fingerprints, the config JSON and :data:`PREP_VERSION`."""
    payload = {"version": PREP_VERSION, "files": [file_fingerprint(Path(f)) for f in files],
               "config": json.loads(config_json)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def entry_path(cache_dir: Path, key: str) -> Path:
    """Where the prepared arrays for ``key`` live."""
    return Path(cache_dir) / f"{key}.npz"


def _describe(data: PreparedData) -> dict:
    return {
        "task": data.task,
        "target_names": list(data.target_names),
        "feature_names": list(data.feature_names),
        "normalizer": {"kind": data.normalizer.kind, "mask_padding": data.normalizer.mask_padding},
        "cache_key": data.cache_key,
        "source": data.source,
        "meta": data.meta,
    }


def _atomic_write(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; cache entries are shareable
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_prepared(data: PreparedData, cache_dir: Path) -> Path:
    """Store ``data`` under its ``cache_key``; returns the ``.npz`` path."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    info = json.dumps(_describe(data))
    arrays = {name: getattr(data, name) for name in _ARRAYS}
    target = entry_path(cache_dir, data.cache_key)
    _atomic_write(target, lambda fh: np.savez(fh, center=data.normalizer.center, scale=data.normalizer.scale,
                                             info=np.array(info), **arrays))
    readable = json.dumps(json.loads(info), indent=1).encode()
    _atomic_write(target.with_suffix(".json"), lambda fh: fh.write(readable))
    return target


def load_prepared(cache_dir: Path, key: str) -> PreparedData | None:
    """The cached data for ``key``, or ``None`` when absent or unreadable."""
    path = entry_path(Path(cache_dir), key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in _ARRAYS}
            center, scale, info = z["center"], z["scale"], json.loads(str(z["info"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    norm = Normalizer(kind=info["normalizer"]["kind"], center=center, scale=scale,
                      mask_padding=bool(info["normalizer"]["mask_padding"]))
    return PreparedData(**arrays, task=info["task"], target_names=tuple(info["target_names"]),
                        feature_names=tuple(info["feature_names"]), normalizer=norm,
                        cache_key=info["cache_key"], source=info["source"], meta=info["meta"])
