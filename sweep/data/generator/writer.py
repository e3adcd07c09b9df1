"""Chunk files in the 150p schema and the generation manifest, each written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from sweep.data.schema import (
    CONSTITUENTS_KEY,
    JET_FEATURE_NAMES_KEY,
    JET_FEATURES,
    JETS_KEY,
    MAX_CONSTITUENTS,
    PARTICLE_FEATURE_NAMES_KEY,
    PARTICLE_FEATURES,
)

MANIFEST_NAME = "generation.json"


def chunk_filename(jet_class: str, index: int) -> str:
    """``jets_<class>_<chunk:04d>.h5``."""
    return f"jets_{jet_class}_{index:04d}.h5"


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_chunk(path: Path, constituents: np.ndarray, jets: np.ndarray) -> None:
    """Write one chunk (temp file, then rename) with gzip + shuffle compression."""
    import h5py

    assert constituents.shape[1:] == (MAX_CONSTITUENTS, len(PARTICLE_FEATURES))
    assert jets.shape == (len(constituents), len(JET_FEATURES))
    tmp = _temp_path(path)
    try:
        with h5py.File(tmp, "w") as f:
            opts = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
            f.create_dataset(CONSTITUENTS_KEY, data=constituents.astype(np.float32), **opts)
            f.create_dataset(JETS_KEY, data=jets.astype(np.float32), **opts)
            f.create_dataset(JET_FEATURE_NAMES_KEY, data=np.array([n.encode() for n in JET_FEATURES]))
            f.create_dataset(PARTICLE_FEATURE_NAMES_KEY,
                             data=np.array([n.encode() for n in PARTICLE_FEATURES]))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def chunk_is_complete(path: Path, n_jets: int) -> bool:
    """True if ``path`` is a readable chunk holding ``n_jets`` jets."""
    import h5py

    if not path.is_file():
        return False
    try:
        with h5py.File(path, "r") as f:
            return (f[JETS_KEY].shape == (n_jets, len(JET_FEATURES))
                    and f[CONSTITUENTS_KEY].shape == (n_jets, MAX_CONSTITUENTS, len(PARTICLE_FEATURES)))
    except (OSError, KeyError):
        return False


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of a previous run in ``out_dir``, or None."""
    path = out_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Write ``generation.json`` atomically."""
    path = out_dir / MANIFEST_NAME
    tmp = _temp_path(path)
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
