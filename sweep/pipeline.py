"""One trial's work, left to right, independent of Optuna: build → train → prune → convert → emulate → score.

Used by the study runner, the benchmark and the tests alike.
"""

from __future__ import annotations

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
from sweep.data.prepared import PreparedData
from sweep.design import Design
from sweep.metrics import classification_metrics, regression_metrics
from sweep.models import get_family
from sweep.training import TrialFailed, set_seed, train
from sweep.trial_files import write_trial_files

StageCallback = Callable[[str], None]


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


def run_design(design: Design, data: PreparedData, cfg: Any, seed: int, trial_dir: Path,
               deadline: float, stage: StageCallback = lambda name: None,
               cross_check: bool = False) -> TrialResult:
    """Run one design end to end. Raises :class:`TrialFailed` with a reason on any failure.

    ``cross_check``: with the numpy emulator, also emulate with hls4ml and record the agreement.
    """
    timings: dict[str, float] = {}
    trial_dir = Path(trial_dir).absolute()  # the hardware worker process may have another working folder
    trial_dir.mkdir(parents=True, exist_ok=True)
    family = get_family(design.family)
    data = family.inputs(data, design.architecture)

    stage("build")
    start = time.perf_counter()
    set_seed(seed)
    model = family.build(design, data.input_shape, data.n_outputs, data.task)
    timings["build_s"] = time.perf_counter() - start

    stage("train")
    outcome = train(model, data, design, cfg.training, seed, deadline,
                    on_epoch=lambda e, n: stage(f"train {e}/{n}"))
    model = outcome.model
    timings["train_s"] = outcome.seconds

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
    else:  # in the target's own units (GeV for cluster energies: the network predicts energy / scale)
        scale = float(data.meta.get("target_scale") or 1.0)
        metrics = regression_metrics(y_test * scale, y_keras * scale, y_hls * scale)
    metrics.update({
        "bops": float(bops), "n_params": float(nonzero), "n_params_total": float(total),
        "sparsity": float(sparsity), "epochs_run": float(outcome.epochs_run),
        "n_emulated": float(len(x_test)),
    })
    metrics.update(hardware.resources.get("values", {}))
    if hardware.cross_check is not None:
        metrics["cross_check_bit_exact_fraction"] = float(hardware.cross_check["bit_exact_fraction"])
    stage("artifacts")
    start = time.perf_counter()
    files = write_trial_files(trial_dir, hardware, job, y_test, data.task, data.target_names)
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
                 "hardware_notes": hardware.resources.get("notes", [])},
    )
