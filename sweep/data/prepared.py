"""The prepared data set a trial trains and emulates on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np


@dataclass
class Normalizer:
    """Per-feature affine map ``(x - center) / scale`` fitted on the training split only.

    For constituent inputs, zero-padded slots stay exactly zero after the map.
    """

    kind: str
    center: np.ndarray
    scale: np.ndarray
    mask_padding: bool = False

    def apply(self, x: np.ndarray) -> np.ndarray:
        out = ((x - self.center) / self.scale).astype(np.float32)
        if self.mask_padding:
            pad = np.all(x == 0, axis=-1, keepdims=True)
            out = np.where(pad, np.float32(0), out)
        return out


@dataclass
class PreparedData:
    """Normalised, split arrays plus what produced them.

    For classification ``y_*`` are one-hot float32 ``(N, n_classes)``; for regression float32 ``(N, n_targets)``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: Literal["classification", "regression"]
    target_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    normalizer: Normalizer
    cache_key: str
    source: str
    meta: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_outputs(self) -> int:
        return int(self.y_train.shape[1])

    def leading_constituents(self, n: int | None) -> "PreparedData":
        """The same data with only the ``n`` leading (highest-pT) constituents; ``None`` keeps all."""
        if n is None or self.x_train.ndim != 3 or n >= self.x_train.shape[1]:
            return self
        return replace(self, x_train=self.x_train[:, :n], x_val=self.x_val[:, :n], x_test=self.x_test[:, :n])
