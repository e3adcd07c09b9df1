"""Turn a study's ``data:`` section into normalised, split arrays (:class:`PreparedData`), cached.

resolve source → load (classes, stratified ``max_jets``) → constituent selection (``min_pt`` cut,
leading ``n_constituents``, zero padding) → feature selection → stratified seeded split →
normaliser fitted on train only → one-hot labels.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from sweep.data.builtin import cache_root, resolve_source
from sweep.data.calo import list_cluster_files
from sweep.data.cache import cache_key, load_prepared, save_prepared
from sweep.data.config import DataConfig
from sweep.data.loaders import JetData, list_h5_files, load_jets, resolve_particle_features
from sweep.data.normalize import fit_normalizer
from sweep.data.prepared import PreparedData
from sweep.data.schema import FEATURE_SETS, HLF_INPUTS, PARTICLE_FEATURES
from sweep.data.split import SPLITS, stratified_split
from sweep.errors import UserError


def default_cache_dir() -> Path:
    """``<cache root>/prepared``."""
    return cache_root() / "prepared"


def requested_features(cfg: DataConfig, where: str = "data") -> list[str]:
    """Input feature names: constituent features (sets, names or aliases) or jet-level/HLF names."""
    if cfg.representation == "hlf":
        return list(HLF_INPUTS) if isinstance(cfg.features, str) else list(cfg.features)
    if isinstance(cfg.features, str):
        if cfg.features in FEATURE_SETS:
            return list(FEATURE_SETS[cfg.features])
        return resolve_particle_features([cfg.features], PARTICLE_FEATURES, where)
    if not cfg.features:
        raise UserError(f"{where}: features must not be empty")
    return resolve_particle_features(cfg.features, PARTICLE_FEATURES, where)


def select_constituents(const: np.ndarray, pt: np.ndarray, n: int, min_pt: float) -> np.ndarray:
    """Drop constituents with pT < ``min_pt`` (and padding), keep the leading ``n`` in order, zero-pad."""
    keep = pt >= min_pt if min_pt > 0 else np.ones_like(pt, dtype=bool)
    order = np.argsort(~keep, axis=1, kind="stable")  # kept slots first, original order preserved
    out = np.take_along_axis(const, order[:, :, None], axis=1)
    out[~np.take_along_axis(keep, order, axis=1)] = 0.0
    out = out[:, :n]
    if out.shape[1] < n:
        pad = np.zeros((out.shape[0], n - out.shape[1], out.shape[2]), out.dtype)
        out = np.concatenate([out, pad], axis=1)
    return out


def build_inputs(data: JetData, cfg: DataConfig, names: list[str], where: Path) -> np.ndarray:
    """The model input array: ``(N, C, F)`` constituents or ``(N, F)`` jet-level features."""
    if cfg.representation == "hlf":
        return np.stack([data.features[n] for n in names], axis=1).astype(np.float32)
    missing = [n for n in names if n not in data.constituent_features]
    if missing or "j1_pt" not in data.constituent_features:
        raise UserError(f"{where}: constituent feature(s) {', '.join(missing or ['j1_pt'])} not in the file")
    const = data.constituents
    pt = const[:, :, data.constituent_features.index("j1_pt")]
    const = select_constituents(const, pt, cfg.n_constituents, cfg.min_pt)
    cols = [data.constituent_features.index(n) for n in names]
    return np.ascontiguousarray(const[:, :, cols], dtype=np.float32)


def prepare_data(cfg: DataConfig, cache_dir: Path | None = None, progress: bool = False) -> PreparedData:
    """Prepared arrays for ``cfg`` (from the cache when the files and the config are unchanged)."""
    try:  # re-check configs built without validation (and files that changed since)
        cfg = DataConfig.model_validate(cfg.model_dump())
    except ValidationError as exc:
        raise UserError(f"{cfg.source}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    calo = cfg.kind == "calo"
    names = [] if calo else requested_features(cfg, cfg.source)
    path = resolve_source(cfg.source, progress=progress)
    files = list_cluster_files(path) if calo else list_h5_files(path)
    key = cache_key(files, cfg.cache_json())
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    t0 = time.perf_counter()
    cached = load_prepared(cache_dir, key)
    if cached is not None:
        cached.meta["cache_hit"] = True
        return cached
    if progress:
        print(f"preparing {cfg.source}: {len(files)} file(s)", file=sys.stderr)
    if calo:
        from sweep.data.prepare_calo import prepare_clusters

        return _store(prepare_clusters(cfg, path, key), cache_dir)
    data = load_jets(
        path, format=cfg.format, representation=cfg.representation,
        n_constituents=cfg.n_constituents if cfg.representation == "constituents" else None,
        classes=cfg.classes, jet_features=names if cfg.representation == "hlf" else [],
        max_jets=cfg.max_jets, seed=cfg.seed,
    )
    x = build_inputs(data, cfg, names, path)
    idx = stratified_split(data.labels, cfg.split, cfg.seed)
    empty = [s for s in SPLITS if idx[s].size == 0]
    if empty:
        raise UserError(f"{path}: {data.n_jets} jets are too few for a train/val/test split "
                        f"({empty[0]} is empty)")
    mask = cfg.representation == "constituents"
    norm = fit_normalizer(x[idx["train"]], cfg.normalization, mask_padding=mask)
    onehot = np.eye(len(data.class_names), dtype=np.float32)
    arrays = {}
    for s in SPLITS:
        arrays[f"x_{s}"] = norm.apply(x[idx[s]])
        arrays[f"y_{s}"] = onehot[data.labels[idx[s]]]
    meta = {
        "path": str(path),
        "files": [str(f) for f in data.files],
        "format": data.format,
        "representation": cfg.representation,
        "n_jets": data.n_jets,
        "n_dropped_other_classes": data.n_other,
        "counts": {s: {c: int(np.count_nonzero(data.labels[idx[s]] == i))
                       for i, c in enumerate(data.class_names)} for s in SPLITS},
        "normalizer": {"kind": norm.kind, "center": norm.center.tolist(), "scale": norm.scale.tolist(),
                       "mask_padding": norm.mask_padding},
        "seconds": round(time.perf_counter() - t0, 3),
    }
    prepared = PreparedData(**arrays, task=cfg.task, target_names=data.class_names,
                            feature_names=tuple(names), normalizer=norm, cache_key=key,
                            source=cfg.source, meta=meta)
    return _store(prepared, cache_dir)


def _store(prepared: PreparedData, cache_dir: Path) -> PreparedData:
    """Cache ``prepared`` (a failure only costs time) and mark it as freshly made."""
    try:
        save_prepared(prepared, cache_dir)
    except OSError as exc:  # an unwritable cache costs time, not correctness
        print(f"warning: could not cache prepared data in {cache_dir}: {exc}", file=sys.stderr)
    prepared.meta["cache_hit"] = False
    return prepared
