"""Regression targets: what the network predicts for a cluster's true energy, and the way back to GeV.

``linear``: energy / ``target_scale`` (GeV), trained with MSE, so high-energy clusters dominate the loss.
``log``: ln(E / GeV) / 10, the inputs' own cell-energy normalisation; MSE on it is (to first order) the
relative error squared / 100, so every energy range counts alike (docs/l0_studies.md has both measured).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

TargetTransform = Literal["linear", "log"]
TARGET_TRANSFORMS: tuple[str, ...] = ("linear", "log")
#: ``log`` targets are ln(E/GeV) / LOG_DIVISOR, like the cells' energy feature.
LOG_DIVISOR = 10.0


def energy_to_target(energy_gev: np.ndarray, transform: str, scale: float) -> np.ndarray:
    """The network's target for true energies ``energy_gev`` (> 0 for ``log``), float32."""
    energy = np.asarray(energy_gev, dtype=np.float64)
    if transform == "log":
        return (np.log(energy) / LOG_DIVISOR).astype(np.float32)
    return (energy / scale).astype(np.float32)


def target_to_energy(y: np.ndarray, transform: str, scale: float) -> np.ndarray:
    """Energies in GeV of network outputs ``y`` (the inverse of :func:`energy_to_target`), float64."""
    y = np.asarray(y, dtype=np.float64)
    if transform == "log":
        return np.exp(np.clip(y * LOG_DIVISOR, -700.0, 700.0))
    return y * scale


def physical_units(y: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    """``y`` of a prepared regression data set (its ``meta``) in physical units (GeV for cluster energies)."""
    transform = meta.get("target_transform") or "linear"
    return target_to_energy(y, transform, float(meta.get("target_scale") or 1.0))
