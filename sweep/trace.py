"""``sweep trace``: per-layer Keras vs fixed-point comparison of one finished trial (which layer needs bits).

The trial's model and samples come from the study's artifact store; the trace itself
(:func:`hls_workers.trace.run_trace`) runs in the isolated hardware worker. Optuna does not let finished
trials change, so the result is stored on the study: user attribute ``trace:<trial>`` (the record) and a
study artifact ``trace_trial_<N>.json`` (the same record, listed by optuna-dashboard with the study).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import optuna
from optuna.artifacts import upload_artifact

from sweep.artifacts import artifact_store_of, finished_trial
from sweep.config import StudyConfig
from sweep.errors import UserError
from sweep.pipeline import stored_trial_job

#: Study user attribute holding a trial's trace record.
TRACE_ATTR = "trace:{number}"
#: Time the trace (conversion, numpy emulation, one g++ compile for the cross-check) may take.
TRACE_TIMEOUT_S = 900.0


def traceable_trial(study: optuna.Study, number: int) -> optuna.trial.FrozenTrial:
    """Trial ``number`` if it is COMPLETE with stored artifacts, else a :class:`UserError` saying why not."""
    return finished_trial(study, number, "trace")


def trace_trial(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial, samples: int,
                cross_check_samples: int | None = None) -> dict[str, Any]:
    """Trace ``trial`` on its first ``samples`` stored samples; store and return the record."""
    from hls_workers.isolation import HardwareStageError, run_isolated
    from hls_workers.trace import CROSS_CHECK_SAMPLES, TraceJob, run_trace

    store = artifact_store_of(study)  # a missing store: UserError before any work
    with tempfile.TemporaryDirectory(prefix="hls-sweep-trace-") as tmp:
        work = Path(tmp)
        job = stored_trial_job(study, cfg, trial, work)
        trace_job = TraceJob(job, samples=samples, cross_check_samples=(
            CROSS_CHECK_SAMPLES if cross_check_samples is None else cross_check_samples))
        try:
            result = run_isolated(run_trace, trace_job, timeout_s=TRACE_TIMEOUT_S)
        except HardwareStageError as exc:
            raise UserError(f"trial {trial.number}: cannot trace the model with hls4ml: {exc}") from None
        record = {"study": study.study_name, "trial": trial.number, **result}
        path = work / f"trace_trial_{trial.number}.json"
        path.write_text(json.dumps(record, indent=1))
        record["artifact_id"] = upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=study)
    study.set_user_attr(TRACE_ATTR.format(number=trial.number), record)
    return record


def trace_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One table row per layer: the columns ``sweep trace`` prints (``--json`` has every field)."""
    rows = []
    for layer in record["layers"]:
        rows.append({
            "layer": layer["layer"],
            "type": _short_type(layer["type"]),
            "max_abs_diff": layer["max_abs_diff"],
            "mean_abs_diff": layer["mean_abs_diff"],
            "overflow_pct": None if layer["overflow"] is None else 100.0 * layer["overflow"],
            "underflow_pct": None if layer["underflow"] is None else 100.0 * layer["underflow"],
            "proposed": layer["proposed"],
            "bit_exact": layer["bit_exact"],
        })
    return rows


def _short_type(text: str | None) -> str | None:
    """``ufixed<8,3,RND_CONV,SAT>`` → ``ufixed<8,3>`` (the table's width; ``--json`` keeps the modes)."""
    if not text or "<" not in text:
        return text
    head, args = text.split("<", 1)
    return f"{head}<{','.join(args.rstrip('>').split(',')[:2])}>"

