"""Fit the per-feature input normaliser on the training split (real constituents only)."""

from __future__ import annotations

import numpy as np

from sweep.data.prepared import Normalizer

NORMALIZATIONS = ("standard", "robust", "minmax", "none")


def real_entries(x: np.ndarray, mask_padding: bool) -> np.ndarray:
    """Rows ``(M, F)`` of ``x`` to fit on: every jet, or every non-padded (not all-zero) constituent."""
    flat = x.reshape(-1, x.shape[-1])
    if mask_padding:
        flat = flat[np.any(flat != 0, axis=1)]
    return flat.astype(np.float64)


def fit_normalizer(x_train: np.ndarray, kind: str, mask_padding: bool) -> Normalizer:
    """``standard`` (mean, std), ``robust`` (median, IQR), ``minmax`` (min, max - min) or ``none``.

    A feature with zero or undefined spread keeps scale 1, so the map never divides by zero.
    """
    if kind not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {kind!r}")
    n_feat = x_train.shape[-1]
    center, scale = np.zeros(n_feat), np.ones(n_feat)
    rows = real_entries(x_train, mask_padding)
    if kind != "none" and rows.shape[0] > 0:
        if kind == "standard":
            center, scale = rows.mean(axis=0), rows.std(axis=0)
        elif kind == "robust":
            q25, center, q75 = np.percentile(rows, [25, 50, 75], axis=0)
            scale = q75 - q25
        else:
            center = rows.min(axis=0)
            scale = rows.max(axis=0) - center
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    return Normalizer(kind=kind, center=center.astype(np.float32), scale=scale.astype(np.float32),
                      mask_padding=mask_padding)
