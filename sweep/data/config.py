"""The ``data:`` section of a study file: where jets come from and how they are prepared."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sweep.data.schema import CLASS_NAMES, MAX_CONSTITUENTS


class SplitConfig(BaseModel):
    """Fractions of the stratified, seeded train/validation/test split."""

    model_config = ConfigDict(extra="forbid")

    train: float = Field(0.6, gt=0, lt=1)
    val: float = Field(0.2, gt=0, lt=1)
    test: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> "SplitConfig":
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"train + val + test must be 1, got {total:g}")
        return self


class DataConfig(BaseModel):
    """Jet or calorimeter-cluster data for a study.

    ``source`` is a path to one ``.h5`` file or a folder of them (public 150p schema, the generator's
    output, or the HLF file), a calorimeter-cluster ``.npz``/``.h5`` file or folder (sweep.data.calo), or
    ``builtin:<name>`` for a data set the generator makes on first use. Jets are classification only.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = "builtin:quickstart"
    #: ``calo``: calorimeter clusters (sweep.data.calo); ``auto`` finds it from a ``cells`` array.
    format: Literal["auto", "jets150p", "hlf", "calo"] = "auto"
    #: What the model learns: ``classification`` (jets, pi0/pi+-) or ``regression`` (cluster energy).
    task: Literal["classification", "regression"] = "classification"
    #: Calorimeter clusters: the value of every feature of a padded cell (below every real value).
    pad_value: float = Field(-6.0, allow_inf_nan=False)
    #: Regression on clusters: the network predicts true energy / target_scale (GeV), an O(1) number
    #: (``target_transform: linear``) or ln(E/GeV)/10 (``log``); metrics are computed back in GeV.
    target_scale: float = Field(100.0, gt=0)
    target_transform: Literal["linear", "log"] = "linear"
    #: What the model consumes: constituent lists (DeepSets) or the 16 high-level features (MLP).
    representation: Literal["constituents", "hlf"] = "constituents"
    n_constituents: int = Field(16, ge=1, le=MAX_CONSTITUENTS)
    #: ``ptetaphi`` (pT, eta_rel, phi_rel), ``all`` (16), or a list of constituent feature names.
    features: str | list[str] = "ptetaphi"
    #: Constituents with pT below this (GeV) are dropped before truncation to ``n_constituents``.
    min_pt: float = Field(0.0, ge=0)
    classes: list[str] = Field(default_factory=lambda: list(CLASS_NAMES))
    normalization: Literal["standard", "robust", "minmax", "none"] = "standard"
    split: SplitConfig = Field(default_factory=SplitConfig)
    #: At most this many jets are read (a stratified subset), ``None`` for all.
    max_jets: int | None = Field(None, gt=0)
    seed: int = 0

    @property
    def kind(self) -> Literal["jets", "calo"] | None:
        """``calo`` (calorimeter clusters), ``jets``, or ``None`` when a path cannot be read yet.

        Known without loading data: from ``format``, the built-in's name, or a file's array names."""
        from sweep.data.calo import CALO_BUILTINS, is_cluster_source

        if self.format != "auto":
            return "calo" if self.format == "calo" else "jets"
        if self.source.startswith("builtin:"):
            return "calo" if self.source.removeprefix("builtin:") in CALO_BUILTINS else "jets"
        found = is_cluster_source(Path(self.source).expanduser())
        return None if found is None else ("calo" if found else "jets")

    def cache_json(self) -> str:
        """The config as it enters the prepared-data cache key (jets: without the cluster-only keys,
        so keys made before tasks existed stay valid)."""
        exclude = None if self.kind == "calo" else {"task", "pad_value", "target_scale", "target_transform"}
        return self.model_dump_json(exclude=exclude)

    @model_validator(mode="after")
    def _fits_the_data(self) -> "DataConfig":
        kind = self.kind
        if kind == "jets" and self.task == "regression":
            raise ValueError("data.task: regression needs calorimeter clusters (format: calo, builtin:pions or "
                             f"a file with a 'cells' array); {self.source} is jet data (classification only)")
        if self.task != "regression" and self.target_transform != "linear":
            raise ValueError("data.target_transform: applies to regression (task: regression) only")
        if kind == "calo":
            from sweep.data.calo import MAX_CELLS

            if self.classes != list(CLASS_NAMES):
                raise ValueError("data.classes: calorimeter clusters have the classes pi0 and pipm "
                                 "(label 0/1); leave classes out")
            if self.min_pt > 0:
                raise ValueError("data.min_pt: applies to jet constituents, not calorimeter cells")
            if self.n_constituents > MAX_CELLS:
                raise ValueError(f"data.n_constituents: calorimeter clusters have at most {MAX_CELLS} cells")
            if "normalization" not in self.model_fields_set:
                self.normalization = "none"  # the users' inputs: raw (eta, phi, layer, ln(E)/10)
        return self

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CLASS_NAMES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r}; known: {', '.join(CLASS_NAMES)}")
        if len(value) < 2:
            raise ValueError("at least two classes are needed")
        if len(set(value)) != len(value):
            raise ValueError("classes must not repeat")
        return value
