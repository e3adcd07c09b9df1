"""Read hls4ml LHC jet files (public 150p schema, the generator's chunks, or the HLF file).

One loader serves a single ``.h5`` or a folder of them (sorted file order). The format is found from
the HDF5 keys; label columns, jet-level features and constituent features are found by the names
stored in the file when present, else by the schema positions in :mod:`sweep.data.schema`.
Only what is needed is read: labels first, then the rows and the leading constituent columns kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
from sweep.errors import UserError

Format = Literal["jets150p", "hlf"]
Representation = Literal["constituents", "hlf", "none"]


@dataclass
class JetData:
    """Jets read from one file or folder.

    ``labels`` index into ``class_names``; ``features`` maps jet-level (or HLF) names to float32
    columns; ``constituents`` is ``(N, C, F)`` float32 (pT-sorted, zero-padded) or ``None``.
    """

    files: tuple[Path, ...]
    format: Format
    class_names: tuple[str, ...]
    labels: np.ndarray
    features: dict[str, np.ndarray]
    constituents: np.ndarray | None = None
    constituent_features: tuple[str, ...] = PARTICLE_FEATURES
    #: Number of nonzero constituents per jet (only when asked for with ``multiplicity=True``).
    multiplicity: np.ndarray | None = None
    #: Jets in the files whose label is none of the requested classes (dropped).
    n_other: int = 0
    per_file: dict[str, int] = field(default_factory=dict)

    @property
    def n_jets(self) -> int:
        return int(self.labels.shape[0])


def list_h5_files(path: Path) -> list[Path]:
    """The ``.h5`` files of ``path`` (itself, or a folder's files in sorted order)."""
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir()
                   if p.is_file() and p.suffix in (".h5", ".hdf5") and not p.name.startswith("."))
    if not files:
        raise UserError(f"{path}: folder has no .h5 files")
    return files


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        reason = "not an HDF5 file" if "signature" in str(exc).lower() else f"cannot read HDF5 ({exc})"
        raise UserError(f"{path}: {reason}") from None


def detect_format(h5: h5py.File, path: Path) -> Format:
    """``jets150p`` (``jetConstituentList`` + ``jets``) or ``hlf`` (``t_allpar_new``)."""
    keys = set(h5.keys())
    if {CONSTITUENTS_KEY, JETS_KEY} <= keys:
        return "jets150p"
    if HLF_KEY in keys:
        return "hlf"
    listed = ", ".join(sorted(keys)) or "none"
    raise UserError(f"{path}: not a jet file (expected {CONSTITUENTS_KEY}+{JETS_KEY} or {HLF_KEY}; "
                    f"keys: {listed})")


def _names(h5: h5py.File, key: str) -> list[str] | None:
    if key not in h5:
        return None
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.asarray(h5[key][()]).ravel()]


def resolve_particle_features(names: Sequence[str], available: Sequence[str] = PARTICLE_FEATURES,
                              where: str = "data") -> list[str]:
    """Full constituent feature names for ``names`` (full names or aliases such as ``pt``)."""
    out = []
    for name in names:
        full = name if name in available else f"j1_{name}"
        if full not in available:
            short = ", ".join(n.removeprefix("j1_") for n in available)
            raise UserError(f"{where}: unknown constituent feature {name!r}; known: {short}")
        out.append(full)
    return out


class _Reader:
    """Column layout of one open file: where labels, jet features and constituent features live."""

    def __init__(self, h5: h5py.File, path: Path, fmt: Format):
        self.h5, self.path, self.format = h5, path, fmt
        if fmt == "jets150p":
            jets, const = h5[JETS_KEY], h5[CONSTITUENTS_KEY]
            if jets.ndim != 2 or const.ndim != 3 or jets.shape[0] != const.shape[0]:
                raise UserError(f"{path}: {JETS_KEY} {jets.shape} and {CONSTITUENTS_KEY} {const.shape} "
                                "do not match the 150p schema")
            names = _names(h5, JET_FEATURE_NAMES_KEY)
            if names is None or len(names) != jets.shape[1]:
                names = list(JET_FEATURES) if jets.shape[1] == len(JET_FEATURES) else None
            if names is None:
                raise UserError(f"{path}: {JETS_KEY} has {jets.shape[1]} columns and no "
                                f"{JET_FEATURE_NAMES_KEY}; cannot find the label columns")
            self.jet_columns = {n: i for i, n in enumerate(names)}
            pnames = _names(h5, PARTICLE_FEATURE_NAMES_KEY)
            if pnames is None or len(pnames) != const.shape[2]:
                if const.shape[2] != len(PARTICLE_FEATURES):
                    raise UserError(f"{path}: {CONSTITUENTS_KEY} has {const.shape[2]} features and no "
                                    f"{PARTICLE_FEATURE_NAMES_KEY}")
                pnames = list(PARTICLE_FEATURES)
            self.particle_features = tuple(pnames)
            self.n_rows, self.n_slots = int(jets.shape[0]), int(const.shape[1])
        else:
            ds = h5[HLF_KEY]
            if ds.dtype.names is None:
                raise UserError(f"{path}: {HLF_KEY} is not a structured array with named fields")
            self.jet_columns = {n: i for i, n in enumerate(ds.dtype.names)
                                if ds.dtype.fields[n][0].kind in "fiub" and ds.dtype.fields[n][0].shape == ()}
            self.particle_features = ()
            self.n_rows, self.n_slots = int(ds.shape[0]), 0

    def columns(self, names: Sequence[str], rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Jet-level columns by name (float32) for the sorted ``rows`` (default: all)."""
        if not names:
            return {}
        if self.format == "jets150p":
            block = _read_rows(self.h5[JETS_KEY], rows)
            return {n: block[:, self.jet_columns[n]].astype(np.float32) for n in names}
        block = _read_rows(self.h5[HLF_KEY].fields(list(names)), rows)
        if len(names) == 1:  # h5py returns a plain array for one field
            return {names[0]: np.asarray(block, dtype=np.float32).reshape(-1)}
        return {n: np.asarray(block[n], dtype=np.float32) for n in names}

    def labels(self) -> np.ndarray:
        """Class index per row (into CLASS_NAMES), -1 for rows without a label."""
        present = [c for c in LABEL_COLUMNS if c in self.jet_columns]
        if not present:
            raise UserError(f"{self.path}: no label columns ({', '.join(LABEL_COLUMNS)})")
        cols = self.columns(present)
        onehot = np.zeros((self.n_rows, len(CLASS_NAMES)), dtype=np.float32)
        for name in present:
            onehot[:, LABEL_COLUMNS.index(name)] = cols[name]
        labels = np.argmax(onehot, axis=1).astype(np.int64)
        labels[onehot.max(axis=1) <= 0] = -1
        return labels

    def constituents(self, rows: np.ndarray, n: int) -> np.ndarray:
        """The leading ``n`` constituents (all features) of the given sorted rows."""
        if rows.size == 0:
            return np.zeros((0, n, len(self.particle_features)), dtype=np.float32)
        block = _read_rows(self.h5[CONSTITUENTS_KEY], rows, (slice(0, n), slice(None)))
        return block.astype(np.float32, copy=False)

    def multiplicity(self, rows: np.ndarray) -> np.ndarray:
        """Number of constituents with nonzero pT per row."""
        if self.format != "jets150p":
            if "j_multiplicity" not in self.jet_columns:
                raise UserError(f"{self.path}: no constituents and no j_multiplicity field")
            return self.columns(["j_multiplicity"], rows)["j_multiplicity"].astype(np.int64)
        pt = self.particle_features.index("j1_pt") if "j1_pt" in self.particle_features else 5
        block = _read_rows(self.h5[CONSTITUENTS_KEY], rows, (slice(None), pt))
        return np.count_nonzero(block, axis=1).astype(np.int64)


def _read_rows(ds, rows: np.ndarray | None, rest: tuple = ()) -> np.ndarray:
    """``ds[rows, *rest]`` for sorted ``rows``: one contiguous hyperslab read, then a numpy take."""
    if rows is None:
        return np.asarray(ds[(slice(None), *rest)])
    if rows.size == 0:
        return np.asarray(ds[(slice(0, 0), *rest)])
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    block = np.asarray(ds[(slice(lo, hi), *rest)])
    return block if rows.size == hi - lo else block[rows - lo]


def stratified_subset(labels: np.ndarray, max_jets: int, seed: int) -> np.ndarray:
    """Sorted indices of at most ``max_jets`` rows, class fractions kept (largest-remainder rounding)."""
    n = labels.shape[0]
    if max_jets >= n:
        return np.arange(n)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * (max_jets / n)
    take = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - take), kind="stable")[: max_jets - take.sum()]:
        take[i] += 1
    rng = np.random.default_rng([seed, 1])
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


def load_jets(
    source: Path | str,
    *,
    format: Literal["auto", "jets150p", "hlf"] = "auto",
    representation: Representation = "constituents",
    n_constituents: int | None = None,
    classes: Sequence[str] | None = None,
    jet_features: Sequence[str] | None = None,
    max_jets: int | None = None,
    seed: int = 0,
    multiplicity: bool = False,
) -> JetData:
    """Read jets from one ``.h5`` file or a folder of them.

    ``representation``: ``constituents`` reads the leading ``n_constituents`` (default all) constituent
    slots; ``hlf`` checks the 16 HLF inputs are present; ``none`` reads jet-level columns only.
    ``classes`` selects and orders the classes, each must have jets; jets of other classes are dropped.
    By default every class of the schema is kept and classes without jets are allowed.
    ``jet_features`` (default: all jet-level columns) are returned by name.
    ``max_jets`` keeps a seeded stratified subset before the constituents are read.
    """
    path = Path(source)
    files = list_h5_files(path)
    wanted = tuple(classes) if classes is not None else CLASS_NAMES
    unknown = [c for c in wanted if c not in CLASS_NAMES]
    if unknown:
        raise UserError(f"{path}: unknown class {unknown[0]!r}; known: {', '.join(CLASS_NAMES)}")
    remap = np.full(len(CLASS_NAMES) + 1, -1, dtype=np.int64)  # last slot: label -1
    for i, c in enumerate(wanted):
        remap[CLASS_NAMES.index(c)] = i

    handles: list[h5py.File] = []
    try:
        for f in files:
            handles.append(_open(f))
        readers = [_Reader(h, f, _check_format(detect_format(h, f), format, f))
                   for h, f in zip(handles, files)]
        fmt = readers[0].format
        for r in readers[1:]:
            if r.format != fmt:
                raise UserError(f"{r.path}: {r.format} file in a folder of {fmt} files")
        if all(r.n_rows == 0 for r in readers):
            what = "empty file (0 jets)" if len(files) == 1 else "no jets in any file"
            raise UserError(f"{path}: {what}")
        readers = [r for r in readers if r.n_rows > 0]
        _check_request(readers, representation, n_constituents)

        all_labels = [remap[r.labels()] for r in readers]
        labels = np.concatenate(all_labels)
        for i, c in enumerate(wanted if classes is not None else ()):
            if not np.any(labels == i):
                raise UserError(f"{path}: no jets of class {c!r}")
        keep = np.flatnonzero(labels >= 0)
        if max_jets is not None:
            keep = keep[stratified_subset(labels[keep], max_jets, seed)]

        names = list(jet_features) if jet_features is not None else None
        offsets = np.cumsum([0] + [r.n_rows for r in readers])
        parts: dict[str, list] = {"feat": [], "const": [], "mult": []}
        per_file: dict[str, int] = {}
        for r, lo, hi in zip(readers, offsets[:-1], offsets[1:]):
            rows = keep[(keep >= lo) & (keep < hi)] - lo
            per_file[str(r.path)] = int(rows.size)
            cols = names if names is not None else list(r.jet_columns)
            missing = [n for n in cols if n not in r.jet_columns]
            if missing:
                raise UserError(f"{r.path}: missing jet feature(s) {', '.join(missing)}")
            parts["feat"].append(r.columns(cols, rows))
            if representation == "constituents":
                parts["const"].append(r.constituents(rows, n_constituents or r.n_slots))
            if multiplicity:
                parts["mult"].append(r.multiplicity(rows))
        common = [n for n in parts["feat"][0] if all(n in p for p in parts["feat"])]
        features = {n: np.concatenate([p[n] for p in parts["feat"]]) for n in common}
        return JetData(
            files=tuple(files),
            format=fmt,
            class_names=wanted,
            labels=labels[keep],
            features=features,
            constituents=np.concatenate(parts["const"]) if parts["const"] else None,
            constituent_features=readers[0].particle_features,
            multiplicity=np.concatenate(parts["mult"]) if parts["mult"] else None,
            n_other=int(np.count_nonzero(labels < 0)),
            per_file=per_file,
        )
    finally:
        for h in handles:
            h.close()


def _check_format(found: Format, requested: str, path: Path) -> Format:
    if requested not in ("auto", found):
        raise UserError(f"{path}: format is {found}, but {requested} was asked for")
    return found


def _check_request(readers: list[_Reader], representation: str, n_constituents: int | None) -> None:
    for r in readers:
        if representation == "constituents":
            if r.format != "jets150p":
                raise UserError(f"{r.path}: HLF file has no constituents (use representation: hlf)")
            if n_constituents is not None and n_constituents > r.n_slots:
                raise UserError(f"{r.path}: n_constituents={n_constituents} but the file stores "
                                f"{r.n_slots} per jet")
            if r.particle_features != readers[0].particle_features:
                raise UserError(f"{r.path}: constituent features differ from {readers[0].path.name}")
        elif representation == "hlf":
            missing = [n for n in HLF_INPUTS if n not in r.jet_columns]
            if missing:
                raise UserError(f"{r.path}: lacks the HLF inputs {', '.join(missing)}")
