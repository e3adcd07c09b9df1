"""The seeded, stratified train/validation/test split shared by every data kind (jets, calorimeter clusters)."""

from __future__ import annotations

import numpy as np

from sweep.data.config import SplitConfig

SPLITS = ("train", "val", "test")


def stratified_split(labels: np.ndarray, split: SplitConfig, seed: int) -> dict[str, np.ndarray]:
    """Seeded per-class split into train/val/test index arrays (each shuffled)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n = idx.size
        n_train, n_val = int(round(split.train * n)), int(round(split.val * n))
        if n >= 3:  # every split gets at least one item of every class
            n_train = min(max(n_train, 1), n - 2)
            n_val = min(max(n_val, 1), n - n_train - 1)
        n_val = min(n_val, n - n_train)
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train:n_train + n_val])
        parts["test"].append(idx[n_train + n_val:])
    return {s: rng.permutation(np.concatenate(p)) for s, p in parts.items()}
