"""One trial's work, left to right, independent of Optuna: build → train → prune → convert → emulate → score.

Used by the study runner, the benchmark and the tests alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hls_workers.emulate import run_hardware_job
from hls_workers.fixed_point import parse_precision
from hls_workers.isolation import HardwareStageError, run_isolated
from hls_workers.network_cost import network_bops
from hls_workers.records import HardwareJob, HlsSettings, NetworkRecord
from sweep.atomic import write_atomically
from sweep.data.prepared import PreparedData
from sweep.design import Design
from sweep.data.targets import physical_units
from sweep.metrics import classification_metrics, regression_metrics
from sweep.models import get_family
from sweep.training import TrialFailed, set_seed, train
from sweep.trial_files import write_trial_files

StageCallback = Callable[[str], None]

#: Set to ``0`` to train every PTQ trial afresh (the baseline of ``bench/ptq_reuse.py``).
REUSE_ENV = "HLS_SWEEP_PTQ_REUSE"
#: Sub-folder of the study's artifact store holding the shared PTQ float models, ``<training_key>.h5``.
PTQ_MODELS_DIR = "ptq_models"


def training_seed(design: Design, study_seed: int, trial_number: int) -> int:
    """The seed a trial trains with: QAT trials ``study_seed + trial_number`` (each its own training); PTQ
    trials the study's seed, so trials that differ only in precision share one float model."""
    return study_seed if design.quantization == "ptq" else study_seed + trial_number


def training_key(design: Design, training: Any, data_cache_key: str, seed: int) -> str | None:
    """sha256 of what a PTQ float model depends on (family, architecture, sparsity, training settings, data,
    seed); ``None`` for QAT (its model depends on the bits too, so it is never shared)."""
    if design.quantization != "ptq":
        return None
    settings = training.model_dump(mode="json") if hasattr(training, "model_dump") else dict(vars(training))
    payload = {"family": design.family, "architecture": design.architecture, "sparsity": design.sparsity,
               "training": settings, "data": data_cache_key, "seed": seed, "quantization": "ptq"}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def reuse_enabled() -> bool:
    return os.environ.get(REUSE_ENV, "1").strip() != "0"


def load_shared_model(cache_dir: Path, key: str) -> tuple[Any, dict[str, Any]] | None:
    """The stored float model of ``key`` and its training record, or ``None`` if none is stored (or it
    cannot be read: then the trial trains)."""
    from hls_workers.emulate import load_keras_model

    path = cache_dir / f"{key}.h5"
    if not path.is_file():
        return None
    try:
        model = load_keras_model(str(path))
    except Exception:  # noqa: BLE001 - an unreadable file is retrained over, never trusted
        return None
    info_path = cache_dir / f"{key}.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    return model, info


def store_shared_model(cache_dir: Path, key: str, model: Any, info: dict[str, Any]) -> None:
    """Keep a trained PTQ float model under its key (record first, model last: the model marks it complete).
    Two workers training the same key at once both write; the last rename wins, both files are whole."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(cache_dir / f"{key}.json",
                     lambda p: p.write_text(json.dumps(info, sort_keys=True), encoding="utf-8"))
    write_atomically(cache_dir / f"{key}.h5", lambda p: model.save(p, include_optimizer=False, save_format="h5"))


@dataclass
class TrialResult:
    """Metrics (objective values among them), per-stage seconds and where the artifacts are."""

    metrics: dict[str, float]
    timings: dict[str, float]
    artifacts: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    #: The trial's artifact files, ``{kind: path}`` (:data:`sweep.artifacts.ARTIFACT_KINDS`), to upload.
    files: dict[str, Path] = field(default_factory=dict)


def weight_stats(model: Any) -> tuple[int, int, float]:
    """(total weights+biases of Dense layers, nonzero ones, kernel sparsity)."""
    total = nonzero = kernel_total = kernel_zero = 0
    for layer in model.layers:
        if type(layer).__name__ not in {"Dense", "QDense"}:
            continue
        for index, weights in enumerate(layer.get_weights()):
            total += weights.size
            nonzero += int(np.count_nonzero(weights))
            if index == 0:
                kernel_total += weights.size
                kernel_zero += int(weights.size - np.count_nonzero(weights))
    return total, nonzero, kernel_zero / max(kernel_total, 1)


def hls_settings(hls4ml: Any) -> HlsSettings:
    """The study's ``hls4ml:`` section as the hardware side's settings record."""
    return HlsSettings(**hls4ml.model_dump(exclude={"max_emulation_samples", "emulator", "cross_check_every"}))


def design_network(design: Design, input_shape: tuple[int, ...], n_outputs: int, task: str) -> NetworkRecord:
    """The design's network record (its family describes it), for the input it reads."""
    return get_family(design.family).network(design.architecture, design.layer_quant, input_shape, n_outputs, task)


def design_bops(model: Any, network: NetworkRecord, input_precision: str) -> int:
    """BOPs of the trained (pruned) model with the design's bit widths (docs/metrics.md)."""
    nonzero = {layer.name: int(np.count_nonzero(model.get_layer(layer.name).get_weights()[0]))
               for layer in network.dense}
    return network_bops(network, parse_precision(input_precision), nonzero)


def make_hardware_job(design: Design, cfg: Any, model_path: Path, x_path: Path, trial_dir: Path,
                      task: str, cross_check: bool = False) -> HardwareJob:
    """The hardware stage's job for a trained design (also used to re-convert promoted trials)."""
    emulator = cfg.hls4ml.emulator
    return HardwareJob(
        model_path=str(model_path), x_path=str(x_path), output_dir=str(trial_dir),
        quantization=design.quantization, layer_quant=design.layer_quant, settings=hls_settings(cfg.hls4ml),
        reuse_factor=design.reuse_factor, strategy=design.strategy,
        logits_layer="output" if task == "classification" and cfg.hls4ml.softmax == "skip" else None,
        emulator=emulator, cross_check=cross_check and emulator == "numpy",
    )


def stored_trial_job(study: Any, cfg: Any, trial: Any, output_dir: Path) -> HardwareJob:
    """The hardware job of a finished trial, rebuilt from its stored design; its model and emulated samples
    are downloaded from the study's artifact store into ``output_dir`` (promotion, trace)."""
    from sweep.artifacts import fetch_artifact

    output_dir.mkdir(parents=True, exist_ok=True)
    model = fetch_artifact(study, trial, "model", output_dir / "model.h5")
    x_test = fetch_artifact(study, trial, "x_test", output_dir / "x_test.npy")
    return make_hardware_job(Design.from_dict(trial.user_attrs["design"]), cfg, model, x_test, output_dir,
                             cfg.data.task)


def run_design(design: Design, data: PreparedData, cfg: Any, seed: int, trial_dir: Path,
               deadline: float, stage: StageCallback = lambda name: None,
               cross_check: bool = False, model_cache: Path | None = None) -> TrialResult:
    """Run one design end to end. Raises :class:`TrialFailed` with a reason on any failure.

    ``cross_check``: with the numpy emulator, also emulate with hls4ml and record the agreement.
    ``model_cache``: folder of shared PTQ float models (``<artifact store>/ptq_models``): a PTQ design whose
    :func:`training_key` is there reuses that model instead of training; one trained here is stored there.
    """
    timings: dict[str, float] = {}
    trial_dir = Path(trial_dir).absolute()  # the hardware worker process may have another working folder
    trial_dir.mkdir(parents=True, exist_ok=True)
    family = get_family(design.family)
    key = training_key(design, cfg.training, str(getattr(data, "cache_key", "")), seed)
    data = family.inputs(data, design.architecture)
    cache_dir = Path(model_cache) if model_cache is not None and key is not None and reuse_enabled() else None

    shared = None
    if cache_dir is not None:
        stage("load shared PTQ model")
        start = time.perf_counter()
        shared = load_shared_model(cache_dir, key)
        timings["load_shared_model_s"] = time.perf_counter() - start
    if shared is not None:
        model, info = shared
        epochs_run = int(info.get("epochs_run", 0))
        timings["train_s"] = 0.0
    else:
        stage("build")
        start = time.perf_counter()
        set_seed(seed)
        model = family.build(design, data.input_shape, data.n_outputs, data.task)
        timings["build_s"] = time.perf_counter() - start

        stage("train")
        outcome = train(model, data, design, cfg.training, seed, deadline,
                        on_epoch=lambda e, n: stage(f"train {e}/{n}"))
        model = outcome.model
        epochs_run = outcome.epochs_run
        timings["train_s"] = outcome.seconds
        if cache_dir is not None:
            stage("store shared PTQ model")
            start = time.perf_counter()
            store_shared_model(cache_dir, key, model, {"epochs_run": epochs_run, "train_s": outcome.seconds,
                                                       "seed": seed, "trained_in": trial_dir.name})
            timings["store_shared_model_s"] = time.perf_counter() - start

    stage("save")
    start = time.perf_counter()
    n_emulate = cfg.hls4ml.max_emulation_samples or len(data.x_test)
    x_test, y_test = data.x_test[:n_emulate], data.y_test[:n_emulate]
    model_path = trial_dir / "model.h5"
    model.save(model_path, include_optimizer=False)
    x_path = trial_dir / "x_test.npy"
    np.save(x_path, x_test)
    timings["save_s"] = time.perf_counter() - start

    total, nonzero, sparsity = weight_stats(model)
    network = design_network(design, data.input_shape, data.n_outputs, data.task)
    bops = design_bops(model, network, cfg.hls4ml.input_precision)

    stage("hls4ml convert+emulate" if cfg.hls4ml.emulator == "numpy" else "hls4ml convert+compile+emulate")
    job = make_hardware_job(design, cfg, model_path, x_path, trial_dir, data.task, cross_check=cross_check)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TrialFailed("timeout: no time left for the hardware stage")
    try:
        hardware = run_isolated(run_hardware_job, job, timeout_s=remaining)
    except HardwareStageError as exc:
        raise TrialFailed(f"hardware stage: {exc}") from exc
    timings.update({f"hls_{k}": v for k, v in hardware.timings.items()})
    y_hls, y_keras = np.load(hardware.y_path), np.load(hardware.y_keras_path)
    if not np.all(np.isfinite(y_hls)):
        raise TrialFailed("hardware stage: the emulation produced non-finite outputs")

    if data.task == "classification":
        metrics = classification_metrics(y_test, y_keras, y_hls, data.target_names)
    else:  # in physical units (GeV for cluster energies; sweep.data.targets)
        metrics = regression_metrics(*(physical_units(y, data.meta) for y in (y_test, y_keras, y_hls)))
    metrics.update({
        "bops": float(bops), "n_params": float(nonzero), "n_params_total": float(total),
        "sparsity": float(sparsity), "epochs_run": float(epochs_run),
        "n_emulated": float(len(x_test)),
    })
    metrics.update(hardware.resources.get("values", {}))
    if hardware.cross_check is not None:
        metrics["cross_check_bit_exact_fraction"] = float(hardware.cross_check["bit_exact_fraction"])
    stage("artifacts")
    start = time.perf_counter()
    files = write_trial_files(trial_dir, hardware, job, y_test, data.task, data.target_names,
                              to_physical=lambda y: physical_units(y, data.meta))
    timings["artifacts_s"] = time.perf_counter() - start
    return TrialResult(
        metrics=metrics,
        timings=timings,
        files=files,
        artifacts={"trial_dir": str(trial_dir), "model": str(model_path), "hls4ml_project": hardware.project_dir},
        details={"hls_config": hardware.hls_config, "layer_precisions": hardware.layer_precisions,
                 "emulator_used": hardware.emulator_used, "fallback_reason": hardware.fallback_reason,
                 "cross_check": hardware.cross_check,
                 "hardware_sources": hardware.resources.get("sources", {}),
                 "hardware_notes": hardware.resources.get("notes", []),
                 "training_key": key, "training_reused": shared is not None},
    )
