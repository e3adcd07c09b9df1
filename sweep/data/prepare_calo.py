"""Prepare calorimeter clusters (:mod:`sweep.data.calo`) for a study: the users' transform, split, padding.

read (task's target checked) → ``max_jets`` subset (stratified by label for classification) → energy to
ln(E/GeV)/10 on real cells → feature selection → seeded split → normaliser fitted on the training split's
real cells only (default ``none``: the users' raw inputs) → every feature of a padded cell = ``pad_value``
(exactly, whatever the normalisation) → the pad value is refused if any real value reaches it.
Regression targets (:mod:`sweep.data.targets`) are the true energy divided by ``target_scale`` (GeV; default
100, so O(1) numbers) or, with ``target_transform: log``, ln(E/GeV)/10: ``y`` is ``(N, 1)`` float32;
``meta["target_transform"]`` and ``meta["target_scale"]`` convert back.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sweep.data.calo import (
    CALO_CLASSES,
    CALO_FEATURES,
    MODEL_FEATURES,
    check_pad_value,
    feature_columns,
    load_clusters,
    log_energy,
    real_cells,
)
from sweep.data.config import DataConfig
from sweep.data.loaders import stratified_subset
from sweep.data.normalize import fit_normalizer
from sweep.data.prepared import PreparedData
from sweep.data.split import SPLITS, stratified_split
from sweep.data.targets import energy_to_target
from sweep.errors import UserError



def prepare_clusters(cfg: DataConfig, path: Path, key: str) -> PreparedData:
    """Prepared arrays of the cluster file/folder ``path`` for ``cfg`` (not cached here)."""

    t0 = time.perf_counter()
    if cfg.representation != "constituents":
        raise UserError(f"{path}: calorimeter clusters are sets of cells; use a DeepSets family "
                        f"(representation constituents, not {cfg.representation})")
    cols = feature_columns(cfg.features, f"{cfg.source}: data.features")
    data = load_clusters(path, cfg.task, cfg.n_constituents)
    regression = cfg.task == "regression"
    strata = np.zeros(data.n_clusters, np.int64) if regression else data.label
    keep = np.arange(data.n_clusters) if cfg.max_jets is None else stratified_subset(strata, cfg.max_jets, cfg.seed)
    cells, strata = data.cells[keep], strata[keep]
    for index, name in enumerate(() if regression else CALO_CLASSES):
        if not np.any(strata == index):
            raise UserError(f"{path}: no clusters of class {name!r} (label {index})")

    real = real_cells(cells)
    x = log_energy(cells, path)[..., cols]
    names = tuple(MODEL_FEATURES[CALO_FEATURES[c]] for c in cols)
    idx = stratified_split(strata, cfg.split, cfg.seed)
    empty = [s for s in SPLITS if idx[s].size == 0]
    if empty:
        raise UserError(f"{path}: {len(keep)} clusters are too few for a train/val/test split ({empty[0]} is empty)")
    norm = fit_normalizer(x[idx["train"]][real[idx["train"]]], cfg.normalization, mask_padding=False)
    x = norm.apply(x)
    x[~real] = np.float32(cfg.pad_value)
    check_pad_value(x, real, cfg.pad_value, names, path)

    if regression:
        energy = data.energy[keep][:, None]
        if cfg.target_transform == "log" and np.any(energy <= 0):
            raise UserError(f"{path}: target_transform log needs positive energies; "
                            f"{int(np.count_nonzero(energy <= 0))} cluster(s) have energy <= 0")
        y = energy_to_target(energy, cfg.target_transform, cfg.target_scale)
        targets: tuple[str, ...] = ("energy",)
    else:
        y = np.eye(len(CALO_CLASSES), dtype=np.float32)[strata]
        targets = CALO_CLASSES
    arrays = {}
    for s in SPLITS:
        arrays[f"x_{s}"] = np.ascontiguousarray(x[idx[s]], dtype=np.float32)
        arrays[f"y_{s}"] = y[idx[s]]
    meta = {
        "path": str(path),
        "files": [str(f) for f in data.files],
        "format": "calo",
        "representation": cfg.representation,
        "n_jets": len(keep),
        "n_clusters": len(keep),
        "counts": {s: ({"all": int(idx[s].size)} if regression else
                       {c: int(np.count_nonzero(strata[idx[s]] == i)) for i, c in enumerate(CALO_CLASSES)})
                   for s in SPLITS},
        "normalizer": {"kind": norm.kind, "center": norm.center.tolist(), "scale": norm.scale.tolist(),
                       "fitted_on": "real cells of the training split"},
        "pad_value": cfg.pad_value,
        "target_scale": cfg.target_scale if regression else None,  # linear: y × target_scale = E in GeV
        "target_transform": cfg.target_transform if regression else None,  # log: E = exp(10 y) GeV
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return PreparedData(**arrays, task=cfg.task, target_names=targets, feature_names=names, normalizer=norm,
                        cache_key=key, source=cfg.source, meta=meta)


def check_clusters(cfg: DataConfig) -> str:
    """Read and prepare a local cluster source without caching (``sweep validate``); a one-line summary."""
    path = Path(cfg.source).expanduser()
    data = prepare_clusters(cfg, path, key="")
    n = data.meta["n_clusters"]
    return (f"{n} {cfg.task} clusters of up to {data.input_shape[0]} cells × {', '.join(data.feature_names)}, "
            f"pad value {cfg.pad_value:g}, normalization {cfg.normalization}")
