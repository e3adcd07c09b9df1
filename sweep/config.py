"""The study file (YAML), validated with pydantic. Errors name the key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hls_workers.fixed_point import PrecisionError, parse_precision
from sweep.data.config import DataConfig
from sweep.errors import UserError
from sweep.params import ParamSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _known_name(value: str, known: Any, what: str) -> str:
    """``value`` if it is a registered name, else a ValueError listing the known ones."""
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")
    return value


class ModelConfig(_Strict):
    family: str = "deepsets"
    #: Sample bits per layer (``weight_bits@phi_0`` …) instead of one value shared by all layers.
    per_layer_bits: bool = False

    @field_validator("family")
    @classmethod
    def _known(cls, value: str) -> str:
        from sweep.models import registered_families

        return _known_name(value, registered_families(), "model family")


class TrainingConfig(_Strict):
    epochs: int = Field(10, ge=1)
    batch_size: int = Field(256, ge=1)
    learning_rate: float = Field(1.8e-3, gt=0)
    patience: int = Field(3, ge=1, description="early-stopping patience in epochs (after pruning ends)")
    #: Pruning ramps polynomially from 0 to the target over this fraction of the training steps.
    pruning_end_fraction: float = Field(0.6, gt=0, le=1)


class Hls4mlConfig(_Strict):
    backend: Literal["Vitis", "Vivado"] = "Vitis"
    part: str = "xcvu13p-flga2577-2-e"
    clock_period_ns: float = Field(5.0, gt=0)
    io_type: Literal["io_parallel"] = "io_parallel"
    input_precision: str = "ap_fixed<12,4,RND,SAT>"
    softmax: Literal["skip", "emulate"] = "skip"
    pool_accum_precision: str = "auto"
    #: Emulate on at most this many test samples (``None``: the whole test split).
    max_emulation_samples: int | None = Field(None, ge=1)
    #: ``numpy``: bit-accurate numpy emulation without g++ (falls back to hls4ml when unsupported);
    #: ``hls4ml``: always compile hls4ml's C++ emulator.
    emulator: Literal["numpy", "hls4ml"] = "numpy"
    #: Every Kth trial (trial number % K == 0) also runs hls4ml and records the agreement; 0 = never.
    cross_check_every: int = Field(10, ge=0)

    @field_validator("part")
    @classmethod
    def _known_part(cls, value: str) -> str:
        """A full part name or unique prefix in the part table (hls_workers/parts.json), else the nearest names."""
        from hls_workers.parts import lookup_part

        try:
            return lookup_part(value).name  # a prefix becomes the full name hls4ml is given
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("input_precision", "pool_accum_precision")
    @classmethod
    def _precision(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            parse_precision(value)
        except PrecisionError as exc:
            raise ValueError(str(exc)) from None
        return value


class ObjectiveConfig(_Strict):
    metric: str
    direction: Literal["minimize", "maximize"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"metric": data} if isinstance(data, str) else data

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        from sweep.objectives import OBJECTIVES

        return _known_name(value, OBJECTIVES, "objective")

    @property
    def resolved_direction(self) -> str:
        from sweep.objectives import OBJECTIVES

        return self.direction or OBJECTIVES[self.metric].direction


class SamplerConfig(_Strict):
    name: str = "nsga2"
    seed: int | None = 0
    options: dict[str, Any] = Field(default_factory=dict, validate_default=True)

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        from sweep.samplers import SAMPLERS, unavailable_reason

        _known_name(value, SAMPLERS, "sampler")
        reason = unavailable_reason(value)
        if reason:
            raise ValueError(reason)
        return value

    @field_validator("options")
    @classmethod
    def _options_build(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        """Build the sampler once so a misspelt or impossible option fails validation, not the run."""
        from sweep.samplers import SAMPLERS, construct

        name = info.data.get("name")
        if name == "grid" and "search_space" in value:
            raise ValueError("the grid sampler builds its grid from space:; give no search_space option")
        if name in SAMPLERS:
            try:
                construct(name, info.data.get("seed"), value)
            except (TypeError, ValueError) as exc:
                raise ValueError(str(exc).splitlines()[0]) from None
        return value


DEFAULT_OBJECTIVES = ["emulated_accuracy", "accuracy_gap", "lut", "latency_ns"]


class ConstraintsConfig(_Strict):
    """Hardware limits. A trial over a limit is infeasible (Optuna constraints); a design whose cheap
    pre-training estimate exceeds a limit by more than ``pretrain_margin`` is PRUNED before training."""

    max_lut: float | None = Field(None, gt=0)
    max_lut_pct: float | None = Field(None, gt=0)
    max_dsp: float | None = Field(None, ge=0)
    max_dsp_pct: float | None = Field(None, ge=0)
    max_ff: float | None = Field(None, gt=0)
    max_ff_pct: float | None = Field(None, gt=0)
    max_bram: float | None = Field(None, ge=0)
    max_latency_ns: float | None = Field(None, gt=0)
    max_latency_cycles: float | None = Field(None, gt=0)
    #: Regression studies: Keras-vs-emulation gap and resolution limits (checked after the trial).
    max_mae: float | None = Field(None, ge=0)
    max_mpe: float | None = Field(None, ge=0)
    max_emulated_resolution_iqr: float | None = Field(None, ge=0)
    max_emulated_resolution_bias: float | None = Field(None, ge=0)
    #: The pre-training estimate counts every weight as a full-width product (it leans high): prune only
    #: designs at least this many times over a limit. ``0`` disables pre-training pruning.
    pretrain_margin: float = Field(2.0, ge=0)

    def limits(self) -> dict[str, float]:
        """Trial metric name → limit, for the limits that are set."""
        out = {}
        for key, value in self.model_dump(exclude={"pretrain_margin"}).items():
            if value is not None:
                out[key.removeprefix("max_")] = float(value)
        return out


class WorkersConfig(_Strict):
    """How workers sharing a study find out about each other's deaths (RDB storages: SQLite, PostgreSQL).

    A running trial writes a heartbeat every ``heartbeat_interval_s``; one whose last heartbeat is older
    than ``grace_period_s`` belongs to a dead worker: it is failed (``fail_reason`` says so) and retried as a
    new trial with the same parameters (``retry_of``), at most ``max_retry`` times per original trial.
    """

    heartbeat_interval_s: int = Field(60, ge=1)
    grace_period_s: int = Field(180, ge=2)
    max_retry: int = Field(2, ge=0)

    @model_validator(mode="after")
    def _grace_after_heartbeat(self) -> "WorkersConfig":
        if self.grace_period_s <= self.heartbeat_interval_s:
            raise ValueError(f"grace_period_s ({self.grace_period_s}) must be longer than heartbeat_interval_s "
                             f"({self.heartbeat_interval_s}), or live trials are taken for dead ones")
        return self


class StudyConfig(_Strict):
    """A whole study file."""

    name: str = Field(min_length=1)
    storage: str = "sqlite:///sweeps.db"
    #: Name of an environment variable holding the storage password (the URL then carries none).
    storage_password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    seed: int = 0
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    space: dict[str, ParamSpec] = Field(default_factory=dict)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    hls4ml: Hls4mlConfig = Field(default_factory=Hls4mlConfig)
    objectives: list[ObjectiveConfig] = Field(
        default_factory=lambda: [ObjectiveConfig(metric=m) for m in DEFAULT_OBJECTIVES], min_length=1
    )
    sampler: SamplerConfig = Field(default_factory=SamplerConfig)
    constraints: ConstraintsConfig = Field(default_factory=ConstraintsConfig)
    n_trials: int = Field(10, ge=1)
    timeout_per_trial_s: float = Field(900, gt=0)
    workers: WorkersConfig = Field(default_factory=WorkersConfig)
    #: Designs tried first (e.g. published references): parameter name → value, as Optuna params.
    enqueue: list[dict[str, Any]] = Field(default_factory=list)
    #: Where each trial's saved model and hls4ml project are kept.
    artifacts_dir: str = "hls_projects"
    #: Folder of the study's Optuna artifact store (default ``<artifacts_dir>/artifact_store``). Resolved to an
    #: absolute path when the study is created and stored in the study: every worker writes there (a shared path).
    artifact_store: str | None = Field(None, min_length=1)

    def default_artifact_store(self) -> str:
        """The artifact store folder this file asks for (relative paths: to the working directory)."""
        return self.artifact_store or str(Path(self.artifacts_dir) / "artifact_store")

    @field_validator("storage_password_env")
    @classmethod
    def _password_in_one_place(cls, value: str | None, info: Any) -> str | None:
        from sweep.storage import display_url

        storage = info.data.get("storage")
        if value and storage and display_url(storage) != storage:
            raise ValueError("the storage URL holds a password too; keep it in the environment variable only")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "StudyConfig":
        from sweep.models import get_family
        from sweep.space import check_enqueued, check_space

        problems = check_space(self.model.family, self.space)
        if problems:
            key, message = problems[0]
            raise ValueError(f"space.{key}: {message}")
        for index, params in enumerate(self.enqueue):
            problem = check_enqueued(self.model.family, self.space, params)
            if problem:
                raise ValueError(f"enqueue.{index}.{problem}")
        family = get_family(self.model.family)
        strategies = self.space["strategy"].all_values() if "strategy" in self.space else []
        from hls_workers.strategy import STRATEGIES, supports_pooling

        refused = [s for s in strategies if isinstance(s, str) and s in STRATEGIES and not supports_pooling(s)]
        if refused and family.pools:
            raise ValueError(f"space.strategy: {refused[0]} is costed by da4ml for Dense networks only, "
                             f"not family {family.name!r}")
        if "n_constituents" in self.space:
            _, most = self.space["n_constituents"].values_bound()
            if most is not None and most > self.data.n_constituents:
                raise ValueError(f"space.n_constituents: up to {most:g}, but data.n_constituents prepares only "
                                 f"{self.data.n_constituents}")
        if "representation" in self.data.model_fields_set and self.data.representation != family.representation:
            raise ValueError(
                f"data.representation: family {family.name!r} needs {family.representation!r}, "
                f"got {self.data.representation!r}"
            )
        self.data.representation = family.representation  # type: ignore[assignment]
        if self.sampler.name == "grid":
            from sweep.space import grid_search_space, grid_size

            grid = grid_search_space(self.model.family, self.space, self.model.per_layer_bits)
            if "n_trials" not in self.model_fields_set:  # default: the whole grid once
                self.n_trials = grid_size(grid)
        metrics = [o.metric for o in self.objectives]
        if len(set(metrics)) != len(metrics):
            raise ValueError("objectives: the same metric is listed twice")
        self._check_task()
        return self

    def _check_task(self) -> None:
        """Objectives and constraints must name metrics the study's task produces (no data is loaded)."""
        from sweep.objectives import OBJECTIVES

        task = self.data.task
        if self.data.representation != "constituents" and self.data.kind == "calo":
            raise ValueError(f"model.family: {self.model.family!r} reads jet-level features; calorimeter "
                             "clusters are sets of cells: use deepsets")
        for index, objective in enumerate(self.objectives):
            tasks = OBJECTIVES[objective.metric].tasks
            if task not in tasks:
                fitting = ", ".join(o.name for o in OBJECTIVES.values() if o.tasks == (task,))
                raise ValueError(f"objectives.{index}: {objective.metric!r} is a {'/'.join(tasks)} metric, but this "
                                 f"study's data ({self.data.source}) is a {task} task; use {fitting} "
                                 "or a hardware metric")
        for metric in self.constraints.limits():
            if metric in OBJECTIVES and task not in OBJECTIVES[metric].tasks:
                raise ValueError(f"constraints.max_{metric}: {metric!r} is a {'/'.join(OBJECTIVES[metric].tasks)} "
                                 f"metric, but this study's data is a {task} task")


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line: ``<file>: <key.path>: <problem>`` for the first problem found."""
    first = error.errors()[0]
    path = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    if message.startswith(("space.", "data.", "objectives", "enqueue.")):
        return f"{source}: {message}"
    return f"{source}: {path}: {message}" if path else f"{source}: {message}"


def parse_config(data: Any, source: str) -> StudyConfig:
    """Validate a parsed study document."""
    if not isinstance(data, dict):
        raise UserError(f"{source}: a study file must be a YAML mapping (key: value)")
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise UserError(format_validation_error(source, exc)) from None


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study file; any problem is a one-line :class:`UserError`."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a study file")
    if not path.is_file():
        raise UserError(f"{path}: no such study file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not a text (UTF-8) file, so not a YAML study file "
                        f"(byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}: malformed YAML{where}: {problem}") from None
    return parse_config(data, str(path))
