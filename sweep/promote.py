"""Promotion: slow fidelities for the trials worth it — Pareto members, best first.

Each promoted trial is emulated again with compiled hls4ml next to the numpy emulator (bit-exactness
cross-check) and synthesized where the tools exist. Optuna does not let finished trials change, so the
results are stored on the study as user attributes ``cross_check:<trial>`` and ``synthesis:<trial>``
(``sweep pareto`` shows them next to the trial).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from hls_workers.emulate import run_hardware_job
from hls_workers.isolation import HardwareStageError, run_isolated
from hls_workers.synthesize import availability, run_synthesis_job
from sweep.config import StudyConfig
from sweep.design import Design
from sweep.pipeline import make_hardware_job

SYNTHESIS_ATTR = "synthesis:{number}"
CROSS_CHECK_ATTR = "cross_check:{number}"


def promoted_trials(study: optuna.Study, top: int | None) -> list[optuna.trial.FrozenTrial]:
    """Pareto trials ordered by the first objective (best first), at most ``top`` of them."""
    maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    trials = sorted(study.best_trials, key=lambda t: t.values[0], reverse=maximize)
    return trials[:top] if top else trials


def _trial_job(cfg: StudyConfig, trial: optuna.trial.FrozenTrial, output_dir: Path):
    """The hardware job of a finished trial, rebuilt from its stored design and artifacts."""
    design = Design.from_dict(trial.user_attrs["design"])
    trial_dir = Path(trial.user_attrs["artifacts"]["trial_dir"])
    return make_hardware_job(design, cfg, Path(trial.user_attrs["artifacts"]["model"]), trial_dir / "x_test.npy",
                             output_dir, "classification")


def cross_check(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial,
                timeout_s: float) -> dict[str, Any]:
    """Emulate a promoted trial with both the numpy emulator and compiled hls4ml; store their agreement."""
    trial_dir = Path(trial.user_attrs["artifacts"]["trial_dir"])
    job = _trial_job(cfg, trial, trial_dir / "cross_check")
    job.emulator, job.cross_check = "numpy", True  # whatever the study's emulator setting
    Path(job.output_dir).mkdir(parents=True, exist_ok=True)
    try:
        result = run_isolated(run_hardware_job, job, timeout_s=timeout_s)
        record: dict[str, Any] = {"status": "done", "emulator_used": result.emulator_used,
                                  "fallback_reason": result.fallback_reason, **(result.cross_check or {})}
    except HardwareStageError as exc:
        record = {"status": "failed", "reason": str(exc)}
    study.set_user_attr(CROSS_CHECK_ATTR.format(number=trial.number), record)
    return record


def synthesize(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial, estimator: str,
               timeout_s: float) -> dict[str, Any]:
    """Run (or skip with a reason) ``estimator`` for one trial and store the record on the study."""
    ok, reason = availability(estimator, cfg.hls4ml.backend)
    if not ok:
        record: dict[str, Any] = {"status": "skipped", "estimator": estimator, "reason": reason}
    else:
        trial_dir = Path(trial.user_attrs["artifacts"]["trial_dir"])
        job = _trial_job(cfg, trial, trial_dir / f"synth_{estimator}")
        try:
            record = run_isolated(run_synthesis_job, job, estimator, timeout_s=timeout_s)
        except HardwareStageError as exc:
            record = {"status": "failed", "estimator": estimator, "reason": str(exc)}
    study.set_user_attr(SYNTHESIS_ATTR.format(number=trial.number), record)
    return record
