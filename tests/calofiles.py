"""Small deterministic calorimeter-cluster files in the schema of sweep.data.calo, for tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np


def make_clusters(n: int = 60, cells: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """``cells`` (n, cells, 4), ``energy`` (n,) GeV, ``label`` (n,) 0/1: 2..cells real cells per cluster,
    ordered by energy, zero-padded; the true energy is 1.25 × the cell sum (a sampling fraction of 0.8)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, cells, 4), np.float32)
    label = (np.arange(n) % 2).astype(np.int64)
    for i in range(n):
        k = int(rng.integers(2, cells + 1))
        out[i, :k, 0] = rng.normal(0.0, 0.05, k)
        out[i, :k, 1] = rng.normal(0.0, 0.05, k)
        out[i, :k, 2] = rng.integers(0, 3, k) + 3 * label[i]  # pi+- deeper
        out[i, :k, 3] = np.sort(rng.uniform(0.2, 30.0, k))[::-1]
    energy = (1.25 * out[..., 3].sum(axis=1)).astype(np.float32)
    return {"cells": out, "energy": energy, "label": label}


def write_clusters(path: Path, arrays: dict[str, np.ndarray] | None = None, **make: int) -> Path:
    """Write ``arrays`` (default :func:`make_clusters`) as ``.npz`` or ``.h5`` by the suffix of ``path``."""
    arrays = make_clusters(**make) if arrays is None else arrays
    path = Path(path)
    if path.suffix == ".npz":
        np.savez(path, **arrays)
    else:
        with h5py.File(path, "w") as h5:
            for key, value in arrays.items():
                h5.create_dataset(key, data=value)
    return path


def without(key: str, **make: int):
    """A file writer (for test tables): the default clusters without the array ``key``."""
    def write(path: Path) -> None:
        arrays = make_clusters(**make)
        arrays.pop(key)
        write_clusters(path, arrays)
    return write


def reshaped_cells(shape: tuple[int, ...]):
    """A file writer: ``cells`` of the given shape (zeros), energy and label of its first dimension."""
    def write(path: Path) -> None:
        n = shape[0]
        write_clusters(path, {"cells": np.zeros(shape, np.float32), "energy": np.ones(n, np.float32),
                              "label": np.zeros(n, np.int64)})
    return write
