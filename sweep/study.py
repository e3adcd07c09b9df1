"""The Optuna study: storage, sampler, objectives, stored config, and the trial runner (cf. keras-tuner's Tuner)."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import optuna

from sweep.artifacts import (IDS_ATTR, STORE_ATTR, artifact_store_of, resolve_store_path, store_path_of,
                             upload_trial_artifacts)
from sweep.config import StudyConfig, parse_config
from sweep.constraints import constraint_values, pretrain_metrics, pretrain_violations
from sweep.data.prepared import PreparedData
from sweep.errors import UserError
from sweep.models import get_family
from sweep.pipeline import PTQ_MODELS_DIR, run_design, training_seed
from sweep.samplers import make_sampler
from sweep.space import SearchSpace
from sweep.leases import fail_stale_leases, needs_leases, with_heartbeat
from sweep.storage import display_url, open_storage, url_without_password
from sweep.worker import WORKER_ATTR, worker_id
from sweep.training import TrialFailed
from sweep.versions import stack_versions

CONFIG_ATTR = "config"


def directions_of(cfg: StudyConfig) -> list[str]:
    return [o.resolved_direction for o in cfg.objectives]


def worker_sampler_seed(seed: int | None) -> int | None:
    """Sampler seed of a worker joining an existing study: distinct per process, so that workers started
    with the same study file do not propose the same designs. The study's creator keeps the file's seed."""
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}:{socket.gethostname()}:{os.getpid()}:{time.time_ns()}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def open_study(cfg: StudyConfig, storage_url: str, study_name: str) -> tuple[optuna.Study, bool]:
    """Create the study, or load it to continue; returns (study, created). Stores the config in the study.

    The creator samples with ``sampler.seed``; every worker that joins later gets its own seed
    (:func:`worker_sampler_seed`), recorded on its trials as ``sampler_seed``.
    """
    storage = open_storage(storage_url, workers=cfg.workers)
    directions = directions_of(cfg)
    options = sampler_options(cfg)
    try:
        sampler = make_sampler(cfg.sampler.name, cfg.sampler.seed, options)
        study = optuna.create_study(study_name=study_name, storage=storage, sampler=sampler, directions=directions)
        created = True
    except optuna.exceptions.DuplicatedStudyError:
        study = _load_to_work(cfg, storage, study_name)
        wanted = [optuna.study.StudyDirection.MAXIMIZE if d == "maximize" else optuna.study.StudyDirection.MINIMIZE
                  for d in directions]
        if list(study.directions) != wanted:
            raise UserError(f"study {study_name!r} already exists in {display_url(storage_url)} with other objectives; "
                            "use another --study-name")
        created = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([o.metric for o in cfg.objectives])
    study.set_user_attr(CONFIG_ATTR, storable_config(cfg))
    if created or STORE_ATTR not in study.user_attrs:  # a study from before artifacts: the first joiner sets it
        _create_artifact_store(study, cfg, storage, created)
    store_path_of(study)  # a joining worker must see the shared folder
    if created:
        for params in cfg.enqueue:
            study.enqueue_trial(params, skip_if_exists=True)
    return study, created


def _load_to_work(cfg: StudyConfig, storage: optuna.storages.BaseStorage, study_name: str) -> optuna.Study:
    """The existing study with a sampler of this worker's own seed (:func:`worker_sampler_seed`)."""
    sampler = make_sampler(cfg.sampler.name, worker_sampler_seed(cfg.sampler.seed), sampler_options(cfg))
    return optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)


def join_study(storage_url: str, study_name: str) -> tuple[optuna.Study, StudyConfig]:
    """An existing study and its stored config, opened to run trials (``sweep worker``): heartbeats and the
    dead-worker retry of its ``workers`` settings. :class:`UserError` if there is no such study."""
    cfg = stored_config(storage_url, study_name)
    study = _load_to_work(cfg, open_storage(storage_url, create=False, workers=cfg.workers), study_name)
    store_path_of(study)  # the shared artifact folder must be reachable from this machine
    return study, cfg


def sampler_options(cfg: StudyConfig) -> dict[str, Any]:
    """The sampler's options; the grid sampler also gets its grid, built from the study's space."""
    if cfg.sampler.name != "grid":
        return cfg.sampler.options
    from sweep.space import grid_search_space

    return {**cfg.sampler.options,
            "search_space": grid_search_space(cfg.model.family, cfg.space, cfg.model.per_layer_bits)}


def _create_artifact_store(study: optuna.Study, cfg: StudyConfig, storage: optuna.storages.BaseStorage,
                           created: bool) -> None:
    """Create the study's artifact store folder and record its absolute path in the study (a study just
    created is deleted again if the folder cannot be made: nothing half-written)."""
    path = resolve_store_path(cfg.default_artifact_store())
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if created:
            optuna.delete_study(study_name=study.study_name, storage=storage)
        raise UserError(f"artifact store {path}: cannot create the folder ({exc.strerror or exc})") from None
    study.set_user_attr(STORE_ATTR, path)


def storable_config(cfg: StudyConfig) -> dict[str, Any]:
    """The config as stored in the study: its storage URL without a password (never stored; workers bring
    their own through the URL, ``storage_password_env``, ``PGPASSWORD`` or ``~/.pgpass``)."""
    data = cfg.model_dump(mode="json")
    data["storage"] = url_without_password(data["storage"])
    source = Path(cfg.data.source).expanduser()
    if not cfg.data.source.startswith("builtin:") and source.exists():  # workers may start in other folders
        data["data"]["source"] = str(source.resolve())
    return data


def stored_config(storage_url: str, study_name: str) -> StudyConfig:
    """The config a study was started with (so any machine can continue it from the storage alone)."""
    storage = open_storage(storage_url, create=False)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise UserError(f"no study {study_name!r} in {display_url(storage_url)}") from None
    data = study.user_attrs.get(CONFIG_ATTR)
    if data is None:
        raise UserError(f"study {study_name!r} was not made by hls-sweep (no stored config)")
    return parse_config(data, f"study {study_name!r}")


class TrialRunner:
    """The objective: sample a design, run it, record everything on the trial, return objective values."""

    def __init__(self, cfg: StudyConfig, data: PreparedData, artifacts_root: Path,
                 stage: Callable[[int, str], None] = lambda number, name: None) -> None:
        self.cfg = cfg
        self.data = data
        self.space = SearchSpace(cfg.model.family, cfg.space, cfg.model.per_layer_bits)
        self.artifacts_root = artifacts_root
        self.stage = stage

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        seed = self.cfg.seed + trial.number
        deadline = time.monotonic() + self.cfg.timeout_per_trial_s
        trial.set_user_attr("seed", seed)
        trial.set_user_attr("sampler_seed", getattr(trial.study.sampler, "hls_sweep_seed", None))
        trial.set_user_attr("versions", stack_versions())
        trial.set_user_attr("data_cache_key", self.data.cache_key)
        trial.set_user_attr(WORKER_ATTR, worker_id())
        limits = self.cfg.constraints.limits()
        try:
            design = self.space.sample(trial)
            trial.set_user_attr("design", design.to_dict())
            seed = training_seed(design, self.cfg.seed, trial.number)  # PTQ: the study's seed (shared model)
            trial.set_user_attr("seed", seed)
            self._check_before_training(trial, design, limits)
            trial_dir = self.artifacts_root / f"trial_{trial.number:04d}"
            every = self.cfg.hls4ml.cross_check_every
            result = run_design(design, self.data, self.cfg, seed, trial_dir, deadline,
                                stage=lambda name: self.stage(trial.number, name),
                                cross_check=every > 0 and trial.number % every == 0,
                                model_cache=store_path_of(trial.study) / PTQ_MODELS_DIR)
            start = time.perf_counter()
            artifact_ids = upload_trial_artifacts(trial, artifact_store_of(trial.study), result.files)
            result.timings["upload_s"] = time.perf_counter() - start
        except optuna.TrialPruned:
            raise
        except TrialFailed as exc:
            trial.set_user_attr("fail_reason", str(exc))
            raise
        except Exception as exc:  # anything else still fails only this trial, with its reason
            reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            trial.set_user_attr("fail_reason", reason)
            raise TrialFailed(reason) from exc
        trial.set_user_attr("metrics", result.metrics)
        trial.set_user_attr("timings", result.timings)
        trial.set_user_attr("artifacts", result.artifacts)  # local paths: kept for older readers, read by nothing
        trial.set_user_attr(IDS_ATTR, artifact_ids)
        trial.set_user_attr("layer_precisions", result.details.get("layer_precisions", {}))
        for key in ("emulator_used", "fallback_reason", "cross_check"):  # numpy emulator provenance
            trial.set_user_attr(key, result.details.get(key))
        trial.set_user_attr("hardware_sources", result.details.get("hardware_sources", {}))
        trial.set_user_attr("hardware_notes", result.details.get("hardware_notes", []))
        trial.set_user_attr("training_key", result.details.get("training_key"))
        trial.set_user_attr("training_reused", bool(result.details.get("training_reused")))
        for metric, value in constraint_values(result.metrics, limits).items():
            trial.set_constraint(f"max_{metric}", value)
        return tuple(float(result.metrics[o.metric]) for o in self.cfg.objectives)

    def _check_before_training(self, trial: optuna.Trial, design: Any, limits: dict[str, float]) -> None:
        """Prune (before any training) a design whose cheap estimate cannot meet the study's limits."""
        if not limits:
            return
        data = get_family(design.family).inputs(self.data, design.architecture)
        values = pretrain_metrics(design, data.input_shape, data.n_outputs, data.task, self.cfg.hls4ml)
        trial.set_user_attr("pretrain_estimate", values)
        violations = pretrain_violations(values, limits, self.cfg.constraints.pretrain_margin)
        if violations and is_enqueued(trial):  # asked for by name (a published reference): train it anyway
            trial.set_user_attr("pretrain_note", "enqueued design trained although its pre-training estimate is "
                                "over the constraints: " + "; ".join(violations))
            return
        if violations:
            reason = "pre-training estimate over the constraints: " + "; ".join(violations)
            trial.set_user_attr("prune_reason", reason)
            raise optuna.TrialPruned(reason)


def is_enqueued(trial: optuna.Trial) -> bool:
    """Whether the trial runs a design from the study's ``enqueue`` list (Optuna's fixed parameters)."""
    system_attrs = trial.storage.get_trial_system_attrs(trial._trial_id)
    return bool(system_attrs.get("fixed_params"))


def run_study(study: optuna.Study, runner: TrialRunner, n_trials: int,
              on_trial_end: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None) -> None:
    """Run ``n_trials`` more trials; failed trials are stored as FAIL with their reason and the study goes on.

    Every finished trial gets its optuna-dashboard note (:func:`sweep.notes.save_trial_note`) before
    ``on_trial_end`` is called."""
    from sweep.notes import save_trial_note

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    callbacks: list[Any] = [save_trial_note] + ([on_trial_end] if on_trial_end else [])
    objective: Callable[[optuna.Trial], Any] = runner
    if needs_leases(study):  # journal / gRPC proxy: the worker beats itself (sweep.leases)
        fail_stale_leases(study, runner.cfg.workers)
        objective = with_heartbeat(runner, runner.cfg.workers.heartbeat_interval_s)
    study.optimize(objective, n_trials=n_trials, catch=(TrialFailed,), callbacks=callbacks, gc_after_trial=True)
