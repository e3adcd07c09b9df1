"""A small hls-sweep study for the dashboard and note tests, made the way `sweep run` makes one.

The study is opened with `open_study` on studies/quickstart.yaml (so its objective names are set as in a
real run) and filled by `run_study` with a stand-in objective that samples real designs from the
quickstart space and records what `TrialRunner` records (design, metrics, hardware_sources, emulator,
fail/prune reasons, constraints) without training: two COMPLETE trials, one FAIL, one PRUNED. Each COMPLETE
trial uploads one real file with `optuna.artifacts.upload_artifact` to a `FileSystemArtifactStore` whose
absolute path is the study's `artifact_store` user attribute, and records `artifact_ids = {kind: id}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact

from sweep.config import load_config
from sweep.space import SearchSpace
from sweep.study import open_study, run_study
from sweep.training import TrialFailed

QUICKSTART = Path(__file__).resolve().parents[1] / "studies" / "quickstart.yaml"

#: What each trial of the study does, by trial number.
METRICS = [
    {"emulated_accuracy": 0.7512, "keras_accuracy": 0.7637, "accuracy_gap": 0.0125, "agreement": 0.9875,
     "lut": 1234.0, "dsp": 56.0, "ff": 2345.0, "latency_ns": 62.5, "latency_cycles": 13.0, "bops": 1234567.0,
     "n_params": 1234},
    {"emulated_accuracy": 0.6801, "keras_accuracy": 0.6801, "accuracy_gap": 1.25e-05, "agreement": 1.0,
     "lut": 812.0, "dsp": 12.0, "ff": 901.0, "latency_ns": 35.0, "latency_cycles": 7.0, "bops": 45678.0,
     "n_params": 300},
]
HARDWARE_SOURCES = {m: "estimate:analytic" for m in ("lut", "dsp", "ff", "latency_ns", "latency_cycles")}
FAIL_REASON = "TimeoutError: hls4ml compile exceeded 300 s"
PRUNE_REASON = "pre-training estimate over the constraints: lut 91,000 > 2 x max_lut 20,000"


@dataclass
class MadeStudy:
    url: str
    name: str
    study: optuna.Study
    store_dir: Path
    ended: list[tuple[int, str]] = field(default_factory=list)  # (number, state) seen by on_trial_end
    artifact_bytes: dict[int, bytes] = field(default_factory=dict)  # trial number -> uploaded content


def make_study(folder: Path, name: str = "watch") -> MadeStudy:
    cfg = load_config(QUICKSTART).model_copy(update={"artifacts_dir": str(folder / "projects")})
    url = f"sqlite:///{folder / 'sweeps.db'}"
    study, _ = open_study(cfg, url, name)  # creates <artifacts_dir>/artifact_store and records it
    if "artifact_store" not in study.user_attrs:  # (an hls-sweep that did not yet keep artifacts)
        (folder / "projects" / "artifact_store").mkdir(parents=True)
        study.set_user_attr("artifact_store", str((folder / "projects" / "artifact_store").resolve()))
    store_dir = Path(study.user_attrs["artifact_store"])
    assert store_dir.is_dir() and store_dir.is_absolute()
    store = FileSystemArtifactStore(str(store_dir))
    space = SearchSpace(cfg.model.family, cfg.space, cfg.model.per_layer_bits)
    made = MadeStudy(url, name, study, store_dir)

    def objective(trial: optuna.Trial) -> tuple[float, ...]:
        design = space.sample(trial)
        trial.set_user_attr("design", design.to_dict())
        if trial.number == 2:
            trial.set_user_attr("fail_reason", FAIL_REASON)
            raise TrialFailed(FAIL_REASON)
        if trial.number == 3:
            trial.set_user_attr("pretrain_estimate", {"lut": 91000.0, "dsp": 300.0})
            trial.set_user_attr("prune_reason", PRUNE_REASON)
            raise optuna.TrialPruned(PRUNE_REASON)
        metrics: dict[str, Any] = METRICS[trial.number]
        trial.set_user_attr("metrics", metrics)
        trial.set_user_attr("hardware_sources", HARDWARE_SOURCES)
        trial.set_user_attr("hardware_notes", ["latency from the analytic model (no csynth report)"])
        trial.set_user_attr("emulator_used", "numpy")
        trial.set_constraint("max_lut", metrics["lut"] - 1000.0)  # trial 0 over a 1,000 LUT limit
        content = json.dumps({"values": metrics, "sources": HARDWARE_SOURCES}, indent=1).encode()
        path = folder / f"hardware_cost_{trial.number}.json"
        path.write_bytes(content)
        artifact_id = upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial,
                                      mimetype="application/json")
        trial.set_user_attr("artifact_ids", {"hardware_cost": artifact_id})
        made.artifact_bytes[trial.number] = content
        return tuple(float(metrics[o.metric]) for o in cfg.objectives)

    run_study(study, objective, n_trials=4,  # type: ignore[arg-type]  # any objective callable will do
              on_trial_end=lambda s, t: made.ended.append((t.number, t.state.name)))
    return made
