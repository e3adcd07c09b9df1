"""Calorimeter clusters (ATLAS L0 style): the file schema, its loader and the users' input transform.

A cluster file is ``.npz`` or ``.h5`` (or a folder of them, sorted) holding

- ``cells`` float ``(N, C, 4)``, C ≤ 128: per cell (η, φ, calorimeter layer index, energy in GeV), cells
  ordered as stored (by energy), clusters with fewer cells zero-padded at the end (a padded row is all zeros);
- ``energy`` float ``(N,)``: the true pion energy in GeV (regression target);
- ``label`` int ``(N,)``: 0 = π⁰, 1 = π± (classification target).

Only the target the study's task needs must be present. The model input is (η, φ, layer, ln(E/GeV)/10)
per real cell, optionally normalised on the training split's real cells, and ``pad_value`` in every
feature of a padded cell.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from sweep.errors import UserError

CELLS_KEY, ENERGY_KEY, LABEL_KEY = "cells", "energy", "label"
MAX_CELLS = 128
#: Features of a cell as stored, in column order.
CALO_FEATURES: tuple[str, ...] = ("eta", "phi", "layer", "energy")
#: The same features as the model sees them (energy becomes ln(E/GeV)/10).
MODEL_FEATURES: dict[str, str] = {"eta": "eta", "phi": "phi", "layer": "layer", "energy": "log_energy"}
CALO_CLASSES: tuple[str, ...] = ("pi0", "pipm")
#: ``builtin:<name>`` data sets that are calorimeter clusters (made by sweep.data.calo_generator).
CALO_BUILTINS = frozenset({"pions"})
SUFFIXES = (".npz", ".h5", ".hdf5")
SCHEMA = "cells (N, C<=128, 4), energy (N,), label (N,)"


@dataclass
class ClusterData:
    """Clusters read from one file or folder: raw ``cells`` (N, C, 4) float32 and the targets present."""

    files: tuple[Path, ...]
    cells: np.ndarray
    energy: np.ndarray | None
    label: np.ndarray | None

    @property
    def n_clusters(self) -> int:
        return int(self.cells.shape[0])


def list_cluster_files(path: Path) -> list[Path]:
    """``path`` itself, or a folder's ``.npz``/``.h5`` files in sorted order."""
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir()
                   if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith("."))
    if not files:
        raise UserError(f"{path}: folder has no .npz or .h5 files")
    return files


def is_cluster_source(path: Path) -> bool | None:
    """Whether ``path`` holds calorimeter clusters (a ``cells`` array); ``None`` if it cannot be told."""
    try:
        files = list_cluster_files(path)
        first = files[0]
        if first.suffix == ".npz":
            with np.load(first, allow_pickle=False) as z:
                return CELLS_KEY in z.files
        with h5py.File(first, "r") as h5:
            return CELLS_KEY in h5
    except (UserError, OSError, ValueError, zipfile.BadZipFile):
        return None


def _read_file(path: Path) -> dict[str, np.ndarray]:
    """Every array of one cluster file (only the schema's keys)."""
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: np.asarray(z[k]) for k in (CELLS_KEY, ENERGY_KEY, LABEL_KEY) if k in z.files}
        with h5py.File(path, "r") as h5:
            return {k: np.asarray(h5[k][()]) for k in (CELLS_KEY, ENERGY_KEY, LABEL_KEY) if k in h5}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        kind = "an .npz" if path.suffix == ".npz" else "an HDF5"
        raise UserError(f"{path}: not {kind} file with the cluster schema ({type(exc).__name__})") from None


def _checked(path: Path, arrays: dict[str, np.ndarray], task: str, n_cells: int) -> dict[str, np.ndarray]:
    """The file's arrays after the schema checks; ``cells`` cut to its leading ``n_cells``."""
    if CELLS_KEY not in arrays:
        raise UserError(f"{path}: no '{CELLS_KEY}' array (calorimeter-cluster schema: {SCHEMA})")
    cells = arrays[CELLS_KEY]
    if cells.ndim != 3 or cells.shape[2] != len(CALO_FEATURES) or cells.shape[1] > MAX_CELLS \
            or cells.dtype.kind not in "fiu":
        raise UserError(f"{path}: '{CELLS_KEY}' has shape {tuple(cells.shape)} ({cells.dtype}); expected "
                        f"(N, C, 4) numbers with C <= {MAX_CELLS} (eta, phi, layer, energy per cell)")
    n = cells.shape[0]
    if n_cells > cells.shape[1]:
        raise UserError(f"{path}: n_constituents={n_cells} but the file stores {cells.shape[1]} cells per cluster")
    needed = ENERGY_KEY if task == "regression" else LABEL_KEY
    if needed not in arrays:
        what = "the true energy" if task == "regression" else "the pi0/pi+- label"
        raise UserError(f"{path}: no '{needed}' array: a {task} task needs {what} of every cluster")
    for key in (ENERGY_KEY, LABEL_KEY):
        if key in arrays and (arrays[key].ndim != 1 or arrays[key].shape[0] != n):
            raise UserError(f"{path}: '{key}' has shape {tuple(arrays[key].shape)}; expected ({n},), "
                            f"one value per cluster of '{CELLS_KEY}'")
    out = {CELLS_KEY: np.asarray(cells[:, :n_cells], dtype=np.float32)}
    if not np.all(np.isfinite(out[CELLS_KEY])):
        raise UserError(f"{path}: '{CELLS_KEY}' holds NaN or infinite values")
    if needed == ENERGY_KEY:
        energy = np.asarray(arrays[ENERGY_KEY], dtype=np.float64)
        if not np.all(np.isfinite(energy) & (energy > 0)):
            raise UserError(f"{path}: '{ENERGY_KEY}' must be positive and finite (GeV) for every cluster")
        out[ENERGY_KEY] = energy.astype(np.float32)
    else:
        label = arrays[LABEL_KEY]
        if not np.all(np.isin(label, (0, 1))):
            raise UserError(f"{path}: '{LABEL_KEY}' must be 0 (pi0) or 1 (pi+-), found "
                            f"{sorted(set(np.unique(label).tolist()) - {0, 1})[:3]}")
        out[LABEL_KEY] = label.astype(np.int64)
    return out


def load_clusters(source: Path | str, task: str, n_cells: int) -> ClusterData:
    """Read and check every cluster file of ``source`` (the leading ``n_cells`` cells of each cluster)."""
    path = Path(source)
    files = list_cluster_files(path)
    parts = [_checked(f, _read_file(f), task, n_cells) for f in files]
    cells = np.concatenate([p[CELLS_KEY] for p in parts])
    if cells.shape[0] == 0:
        raise UserError(f"{path}: no clusters (N = 0)")
    key = ENERGY_KEY if task == "regression" else LABEL_KEY
    target = np.concatenate([p[key] for p in parts])
    return ClusterData(tuple(files), cells, target if key == ENERGY_KEY else None,
                       target if key == LABEL_KEY else None)


def real_cells(cells: np.ndarray) -> np.ndarray:
    """``(N, C)`` bool: the cell is real (any feature nonzero), not padding."""
    return np.any(cells != 0, axis=-1)


def log_energy(cells: np.ndarray, where: Path) -> np.ndarray:
    """Cells with energy → ln(E/GeV)/10 on real cells (padding untouched). Real cells need E > 0."""
    real = real_cells(cells)
    energy = cells[..., 3]
    bad = real & ~(energy > 0)
    if np.any(bad):
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise UserError(f"{where}: '{CELLS_KEY}' has {int(bad.sum())} real cell(s) with energy <= 0 "
                        f"(first: cluster {i}, cell {j}); padded cells must be all zeros")
    out = cells.copy()
    out[..., 3] = np.where(real, np.log(np.where(real, energy, 1.0)) / 10.0, 0.0)
    return out


def feature_columns(features: str | Sequence[str], where: str = "data") -> list[int]:
    """Columns of the cell features a study asks for (``all``, the jets' default, or names)."""
    if isinstance(features, str):
        if features in ("all", "ptetaphi"):  # ptetaphi: the jets' default, i.e. not chosen for clusters
            return list(range(len(CALO_FEATURES)))
        features = [features]
    unknown = [f for f in features if f not in CALO_FEATURES]
    if unknown or not features:
        raise UserError(f"{where}: unknown cell feature {unknown[0] if unknown else '(none)'!r}; "
                        f"known: {', '.join(CALO_FEATURES)}")
    return [CALO_FEATURES.index(f) for f in features]


def check_pad_value(x: np.ndarray, real: np.ndarray, pad_value: float, names: Sequence[str],
                    where: Path) -> None:
    """Refuse a pad value that a real cell reaches or undercuts in any feature (the model could not tell)."""
    if not np.any(real):
        return
    lowest = x[real].min(axis=0)
    for name, low in zip(names, lowest):
        if low <= pad_value:
            raise UserError(f"{where}: data.pad_value {pad_value:g} is inside the data range: feature "
                            f"{name!r} reaches {low:.4g} on a real cell; choose a pad value below every "
                            "real value")
