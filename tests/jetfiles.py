"""Write small synthetic jet files in the exact public schemas (no network, fully seeded).

``write_150p`` mimics a ``hls4ml_LHCjet_150p`` file (``jetConstituentList`` (N, S, 16) pT-sorted and
zero-padded, ``jets`` (N, 59) with one-hot labels in columns 53..57, names as byte strings);
``write_hlf`` mimics the HLF file (structured array ``t_allpar_new``). Both return what they wrote
so tests can derive expected values from the data itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from sweep.data.schema import (
    CLASS_NAMES,
    CONSTITUENTS_KEY,
    HLF_INPUTS,
    HLF_KEY,
    JET_FEATURE_NAMES_KEY,
    JET_FEATURES,
    JETS_KEY,
    LABEL_COLUMNS,
    PARTICLE_FEATURE_NAMES_KEY,
    PARTICLE_FEATURES,
)

PT = PARTICLE_FEATURES.index("j1_pt")


@dataclass
class Written:
    """Arrays exactly as written to a file."""

    path: Path
    labels: np.ndarray  # class index into CLASS_NAMES
    constituents: np.ndarray | None  # (N, S, 16) float32
    jets: np.ndarray | None  # (N, 59) float32, schema column order
    hlf: np.ndarray | None  # structured array
    multiplicity: np.ndarray  # nonzero constituents per jet


def make_labels(per_class: dict[str, int], seed: int = 0) -> np.ndarray:
    """Shuffled class indices with ``per_class[name]`` jets of each class."""
    parts = [np.full(n, CLASS_NAMES.index(c)) for c, n in per_class.items()]
    labels = np.concatenate([np.zeros(0, np.int64), *parts])
    return np.random.default_rng(seed).permutation(labels).astype(np.int64)


def _constituents(labels: np.ndarray, n_slots: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = labels.shape[0]
    out = np.zeros((n, n_slots, len(PARTICLE_FEATURES)), dtype=np.float32)
    mult = np.minimum(rng.integers(3, 12, size=n) + 4 * labels, n_slots)  # class-dependent
    for i, m in enumerate(mult):
        feats = rng.normal(0.0, 1.0, size=(m, len(PARTICLE_FEATURES))).astype(np.float32)
        feats[feats == 0] = 0.5
        feats[:, PT] = np.sort(rng.exponential(20.0, size=m).astype(np.float32) + 0.01)[::-1]
        out[i, :m] = feats
    return out, mult.astype(np.int64)


def _jets(labels: np.ndarray, mult: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = labels.shape[0]
    jets = rng.normal(1.0, 0.5, size=(n, len(JET_FEATURES))).astype(np.float32)
    jets[:, JET_FEATURES.index("j_mass")] = 20.0 + 30.0 * labels + rng.normal(0, 5, n)
    jets[:, JET_FEATURES.index("j_mass_mmdt")] = 10.0 + 30.0 * labels + rng.normal(0, 5, n)
    jets[:, JET_FEATURES.index("j_multiplicity")] = mult
    jets[:, 53:58] = 0.0
    jets[np.arange(n), 53 + labels] = 1.0
    jets[:, JET_FEATURES.index("j_undef")] = 0.0
    return jets


def write_150p(path: Path, labels: np.ndarray, *, n_slots: int = 150, seed: int = 0, names: bool = True,
               shuffle_jet_columns: bool = False, compress: bool = True) -> Written:
    """A 150p-schema file; ``shuffle_jet_columns`` permutes the ``jets`` columns (names follow).

    Without ``compress`` the file size depends only on the shapes.
    """
    rng = np.random.default_rng(seed)
    const, mult = _constituents(labels, n_slots, rng)
    jets = _jets(labels, mult, rng)
    order = rng.permutation(len(JET_FEATURES)) if shuffle_jet_columns else np.arange(len(JET_FEATURES))
    with h5py.File(path, "w") as f:
        big = {"chunks": True, "compression": "gzip"} if compress and len(labels) else {}
        f.create_dataset(CONSTITUENTS_KEY, data=const, **big)
        f.create_dataset(JETS_KEY, data=jets[:, order])
        if names:
            f.create_dataset(JET_FEATURE_NAMES_KEY, data=np.array([JET_FEATURES[i].encode() for i in order]))
            pnames = np.array([n.encode() for n in PARTICLE_FEATURES])
            f.create_dataset(PARTICLE_FEATURE_NAMES_KEY, data=pnames)
    return Written(path, labels, const, jets, None, mult)


HLF_FIELDS: tuple[str, ...] = ("j_ptfrac", "j_pt", "j_eta", "j_mass", *HLF_INPUTS, *LABEL_COLUMNS)


def write_hlf(path: Path, labels: np.ndarray, *, seed: int = 0, drop: tuple[str, ...] = ()) -> Written:
    """An HLF-schema file: ``t_allpar_new`` with the 16 HLF inputs, labels and a few extras."""
    rng = np.random.default_rng(seed)
    n = labels.shape[0]
    fields = [f for f in HLF_FIELDS if f not in drop]
    dtype = np.dtype([(f, np.float32) for f in fields] + [("j_index", np.int32)])
    arr = np.zeros(n, dtype=dtype)
    for f in fields:
        arr[f] = rng.normal(2.0, 1.0, size=n) + labels
    mult = rng.integers(10, 80, size=n) + 10 * labels
    if "j_multiplicity" in fields:
        arr["j_multiplicity"] = mult
    for i, c in enumerate(LABEL_COLUMNS):
        if c in fields:
            arr[c] = (labels == i).astype(np.float32)
    arr["j_index"] = np.arange(n)
    with h5py.File(path, "w") as f:
        f.create_dataset(HLF_KEY, data=arr)
    return Written(path, labels, None, None, arr, mult)


def write_other(path: Path) -> Path:
    """An HDF5 file of some other schema."""
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((3, 4, 4), np.float32))
        f.create_dataset("targets", data=np.zeros(3, np.float32))
    return path
