"""Promotion: slow fidelities (synthesis) for the trials worth it — Pareto members, best first.

Optuna does not let finished trials change, so results are stored on the study as user attribute
``synthesis:<trial number>`` (``sweep pareto`` shows them next to the trial).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from hls_workers.isolation import HardwareStageError, run_isolated
from hls_workers.synthesize import availability, run_synthesis_job
from sweep.config import StudyConfig
from sweep.design import Design
from sweep.pipeline import make_hardware_job

SYNTHESIS_ATTR = "synthesis:{number}"


def promoted_trials(study: optuna.Study, top: int | None) -> list[optuna.trial.FrozenTrial]:
    """Pareto trials ordered by the first objective (best first), at most ``top`` of them."""
    maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    trials = sorted(study.best_trials, key=lambda t: t.values[0], reverse=maximize)
    return trials[:top] if top else trials


def synthesize(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial, estimator: str,
               timeout_s: float) -> dict[str, Any]:
    """Run (or skip with a reason) ``estimator`` for one trial and store the record on the study."""
    ok, reason = availability(estimator, cfg.hls4ml.backend)
    if not ok:
        record: dict[str, Any] = {"status": "skipped", "estimator": estimator, "reason": reason}
    else:
        design = Design.from_dict(trial.user_attrs["design"])
        trial_dir = Path(trial.user_attrs["artifacts"]["trial_dir"])
        pools = design.architecture.get("aggregation") is not None
        n_constituents = (design.architecture.get("n_constituents") or cfg.data.n_constituents) if pools else None
        job = make_hardware_job(design, cfg, Path(trial.user_attrs["artifacts"]["model"]), trial_dir / "x_test.npy",
                                trial_dir / f"synth_{estimator}", n_constituents, "classification")
        try:
            record = run_isolated(run_synthesis_job, job, estimator, timeout_s=timeout_s)
        except HardwareStageError as exc:
            record = {"status": "failed", "estimator": estimator, "reason": str(exc)}
    study.set_user_attr(SYNTHESIS_ATTR.format(number=trial.number), record)
    return record
