"""Promotion: slow fidelities for the trials worth it — Pareto members, best first.

Each promoted trial is emulated again with compiled hls4ml next to the numpy emulator (bit-exactness
cross-check) and synthesized where the tools exist. Optuna does not let finished trials change, so the
results are stored on the study as user attributes ``cross_check:<trial>`` and ``synthesis:<trial>``
(``sweep pareto`` shows them next to the trial). Model and samples come from the study's artifact store, so
promotion runs on any machine that sees the storage and the store.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import optuna

from hls_workers.emulate import run_hardware_job
from hls_workers.isolation import HardwareStageError, run_isolated
from hls_workers.synthesize import availability, run_synthesis_job
from sweep.config import StudyConfig
from sweep.errors import UserError
from sweep.pipeline import stored_trial_job

SYNTHESIS_ATTR = "synthesis:{number}"
CROSS_CHECK_ATTR = "cross_check:{number}"


def promoted_trials(study: optuna.Study, top: int | None) -> list[optuna.trial.FrozenTrial]:
    """Pareto trials ordered by the first objective (best first), at most ``top`` of them."""
    maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    trials = sorted(study.best_trials, key=lambda t: t.values[0], reverse=maximize)
    return trials[:top] if top else trials


def cross_check(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial,
                timeout_s: float) -> dict[str, Any]:
    """Emulate a promoted trial with both the numpy emulator and compiled hls4ml; store their agreement."""
    with tempfile.TemporaryDirectory(prefix="hls-sweep-cross-check-") as work:
        try:
            job = stored_trial_job(study, cfg, trial, Path(work))
            job.emulator, job.cross_check = "numpy", True  # whatever the study's emulator setting
            result = run_isolated(run_hardware_job, job, timeout_s=timeout_s)
            record: dict[str, Any] = {"status": "done", "emulator_used": result.emulator_used,
                                      "fallback_reason": result.fallback_reason, **(result.cross_check or {})}
        except (HardwareStageError, UserError) as exc:
            record = {"status": "failed", "reason": str(exc)}
    study.set_user_attr(CROSS_CHECK_ATTR.format(number=trial.number), record)
    return record


def synthesize(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial, estimator: str,
               timeout_s: float) -> dict[str, Any]:
    """Run (or skip with a reason) ``estimator`` for one trial and store the record on the study.

    The synthesized project is kept locally in ``<artifacts_dir>/<study>/trial_NNNN/synth_<estimator>``."""
    ok, reason = availability(estimator, cfg.hls4ml.backend)
    if not ok:
        record: dict[str, Any] = {"status": "skipped", "estimator": estimator, "reason": reason}
    else:
        work = Path(cfg.artifacts_dir) / study.study_name / f"trial_{trial.number:04d}" / f"synth_{estimator}"
        try:
            job = stored_trial_job(study, cfg, trial, work)
            record = run_isolated(run_synthesis_job, job, estimator, timeout_s=timeout_s)
        except (HardwareStageError, UserError) as exc:
            record = {"status": "failed", "estimator": estimator, "reason": str(exc)}
    study.set_user_attr(SYNTHESIS_ATTR.format(number=trial.number), record)
    return record
