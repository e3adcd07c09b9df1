"""Slow, high-fidelity cost of one promoted design (C synthesis, Vivado synthesis, Yosys).

Runs in the isolated worker like the emulation; a missing tool is a reason, never a number.
"""

from __future__ import annotations

from typing import Any

from hls_workers.emulate import convert, load_keras_model
from hls_workers.estimate import EstimatorUnavailable, get_estimator
from hls_workers.records import HardwareJob


def availability(estimator: str, backend: str) -> tuple[bool, str]:
    """Whether ``estimator`` can run here, and why not."""
    return get_estimator(estimator).available({"backend": backend})


def run_synthesis_job(job: HardwareJob, estimator: str) -> dict[str, Any]:
    """Re-convert the saved model with the trial's configuration and run ``estimator`` on it."""
    model = load_keras_model(job.model_path)
    hls_model, _ = convert(model, job)
    try:
        estimate = get_estimator(estimator).estimate(hls_model, job.settings)
    except EstimatorUnavailable as exc:
        return {"status": "skipped", "estimator": estimator, "reason": str(exc)}
    return {"status": "done", "estimator": estimator, **estimate.to_dict()}
