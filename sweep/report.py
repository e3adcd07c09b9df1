"""Study summaries as rows: status of every study in a storage, and the Pareto front of one."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import optuna
from optuna.trial import TrialState

#: Metrics shown next to the objectives in Pareto tables, when a trial has them.
SHOWN_METRICS = ("keras_accuracy", "emulated_accuracy", "accuracy_gap", "agreement", "emulated_auc",
                 "mae", "mpe", "emulated_resolution_median", "emulated_resolution_iqr", "bops",
                 "n_params", "sparsity")


def study_status(storage: optuna.storages.BaseStorage) -> list[dict[str, Any]]:
    """One row per study: trials by state and the Pareto size."""
    rows = []
    for summary in storage.get_all_studies():
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        trials = study.get_trials(deepcopy=False)
        counts = {state.name: 0 for state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.FAIL,
                                              TrialState.PRUNED, TrialState.WAITING)}
        for trial in trials:
            counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
        pareto = study.best_trials if counts["COMPLETE"] else []
        rows.append({"study": summary.study_name, "trials": len(trials), **{k.lower(): v for k, v in counts.items()},
                     "pareto": len(pareto), "objectives": study.metric_names or []})
    return rows


def design_summary(design: dict[str, Any] | None) -> str:
    """Short text of a design, e.g. ``n16 phi32,32 rho16 mean | w8.0 a8.3 | sp0.5 rf2 qat``.

    Bits read ``w<bits>.<int bits>`` (weights) and ``a<bits>.<int bits>`` (activations); several
    values are listed when bits are sampled per layer.
    """
    if not design:
        return ""
    from sweep.models import get_family

    arch = design.get("architecture", {})
    try:
        parts = [get_family(design.get("family", "")).describe(arch)]
    except KeyError:  # a family this installation does not know: show its architecture as stored
        parts = [" ".join(f"{k}={v}" for k, v in arch.items())]
    quant = design.get("layer_quant", {}).values()
    weights = sorted({f"w{q['weight_bits']}.{q['weight_int_bits']}" for q in quant})
    acts = sorted({f"a{q['act_bits']}.{q['act_int_bits']}" for q in quant})
    text = " ".join(parts) + " | " + " ".join(weights + acts)
    return text + f" | sp{design.get('sparsity', 0):g} rf{design.get('reuse_factor')} {design.get('quantization')}"


def pareto_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """The Pareto-optimal trials with objective values, key metrics and design."""
    names = study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]
    rows = []
    for trial in sorted(study.best_trials, key=lambda t: t.number):
        metrics = trial.user_attrs.get("metrics", {})
        row: dict[str, Any] = {"trial": trial.number}
        row.update({name: value for name, value in zip(names, trial.values)})
        row.update({m: metrics[m] for m in SHOWN_METRICS if m in metrics and m not in row})
        row["design"] = design_summary(trial.user_attrs.get("design"))
        row["seed"] = trial.user_attrs.get("seed")
        row["hls4ml_project"] = (trial.user_attrs.get("artifact_ids") or {}).get("hls4ml_project")  # id in the store
        for kind in ("cross_check", "synthesis"):
            record = study.user_attrs.get(f"{kind}:{trial.number}")
            if record:
                row[kind] = record
        rows.append(row)
    return rows


def rows_as_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2)


def rows_as_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        keys = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(buffer, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()
