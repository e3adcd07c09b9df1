"""The ``data:`` section of a study file: where jets come from and how they are prepared."""

from __future__ import annotations

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
    """Jet data for a study.

    ``source`` is a path to one ``.h5`` file or a folder of them (public 150p schema, the generator's
    output, or the HLF file), or ``builtin:<name>`` for a data set the generator makes on first use.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = "builtin:quickstart"
    format: Literal["auto", "jets150p", "hlf"] = "auto"
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
    def task(self) -> str:
        """What a model trained on this data does: ``classification`` (every format read here — 150p,
        HLF, the generator's files — labels each jet with one class). Known without loading the data, so
        a study file is checked against it (objectives, constraints) before anything runs."""
        return "classification"

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
