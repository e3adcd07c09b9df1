"""Benchmark: hypervolume reached after N trials by each sampler on the quickstart space, printed as JSON.

Every (sampler, seed) runs its own in-memory study of real trials (QKeras training, hls4ml conversion,
numpy emulation, analytic hardware estimate) on the built-in jets. All runs share one reference box — the
best and worst value of every objective over every feasible trial of every run — so their hypervolumes
(fraction of that box dominated, see ``sweep/hypervolume.py``) compare directly. Cross-checks against
compiled hls4ml are switched off (they do not change any objective).

Full run (450 trials, about an hour on 2 cores):
    .venv/bin/python bench/sampler_efficiency.py --trials 10,25,50 --seeds 3 --samplers nsga2,tpe,random
Results and a small run: docs/samplers.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

QUICKSTART = Path(__file__).resolve().parent.parent / "studies" / "quickstart.yaml"


def _int_list(text: str) -> list[int]:
    values = sorted({int(v) for v in text.split(",") if v.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive trial counts, e.g. 10,25,50")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=_int_list, default=[10, 25, 50], help="checkpoints, e.g. 10,25,50")
    parser.add_argument("--seeds", type=int, default=3, help="sampler seeds per sampler (0 .. N-1)")
    parser.add_argument("--samplers", default="nsga2,tpe,random", help="comma-separated sampler names")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: the study file's)")
    parser.add_argument("--study", type=Path, default=QUICKSTART, help="study file whose space is searched")
    return parser.parse_args(argv)


def run_one(cfg, data, sampler_name: str, seed: int, n_trials: int, workdir: Path) -> dict:
    """One sampler, one seed: ``n_trials`` real trials in a fresh study (SQLite in ``workdir``, opened the way
    ``sweep run`` opens it, artifact store included); the trials as Optuna returns them."""
    from sweep.study import TrialRunner, open_study, run_study

    run_cfg = cfg.model_copy(deep=True)
    run_cfg.sampler.options = cfg.sampler.options if sampler_name == cfg.sampler.name else {}
    run_cfg.sampler.name, run_cfg.sampler.seed = sampler_name, seed
    run_cfg.artifacts_dir = str(workdir / "artifacts")
    name = f"{sampler_name}_seed{seed}"
    study, _ = open_study(run_cfg, f"sqlite:///{workdir / 'bench.db'}", name)
    runner = TrialRunner(run_cfg, data, workdir / "artifacts" / name)
    start = time.perf_counter()
    run_study(study, runner, n_trials)
    trials = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
    return {"sampler": sampler_name, "seed": seed, "options": run_cfg.sampler.options,
            "seconds": round(time.perf_counter() - start, 1),
            "states": {s: sum(t.state.name == s for t in trials) for s in ("COMPLETE", "FAIL", "PRUNED")},
            "fail_reasons": sorted({t.user_attrs["fail_reason"] for t in trials if "fail_reason" in t.user_attrs}),
            "trials": trials}


def summarize(runs: list[dict], checkpoints: list[int], directions: list[str], names: list[str]) -> dict:
    """Hypervolume of the first N trials of every run against one shared reference box."""
    import numpy as np

    from sweep.hypervolume import feasible_complete, hypervolume, reference_box

    everything = [t.values for run in runs for t in feasible_complete(run["trials"])]
    box = reference_box(everything, directions)
    results: dict = {}
    for run in runs:
        feasible = feasible_complete(run["trials"])
        per = results.setdefault(run["sampler"], {str(n): [] for n in checkpoints})
        for n in checkpoints:
            per[str(n)].append(round(hypervolume([t.values for t in feasible if t.number < n], box), 4))
    table = {sampler: {n: {"mean": round(float(np.mean(v)), 4), "std": round(float(np.std(v)), 4), "per_seed": v}
                       for n, v in per.items()} for sampler, per in results.items()}
    return {"objectives": dict(zip(names, directions)),
            "reference_point": dict(zip(names, box.reference)), "ideal_point": dict(zip(names, box.ideal)),
            "hypervolume": table,
            "runs": [{k: v for k, v in run.items() if k != "trials"} for run in runs]}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if os.environ.get("SWEEP_WARNINGS") != "1":  # library warnings (TensorFlow, Keras, hls4ml), as `sweep` does
        warnings.simplefilter("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweep.config import load_config
    from sweep.data.prepare import prepare_data
    from sweep.samplers import SAMPLERS

    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown:
        sys.exit(f"error: unknown sampler(s) {', '.join(unknown)}; known: {', '.join(SAMPLERS)}")
    cfg = load_config(args.study)
    if args.epochs is not None:
        cfg.training.epochs = args.epochs
    cfg.hls4ml.cross_check_every = 0  # compiled-hls4ml cross-checks change no objective: skip their g++ time
    start = time.perf_counter()
    data = prepare_data(cfg.data)
    runs = []
    with tempfile.TemporaryDirectory(prefix="sampler_efficiency_") as tmp:
        for sampler in samplers:
            for seed in range(args.seeds):
                run = run_one(cfg, data, sampler, seed, max(args.trials), Path(tmp))
                print(f"{sampler} seed {seed}: {run['states']} in {run['seconds']} s {'; '.join(run['fail_reasons'])}",
                      file=sys.stderr)
                runs.append(run)
    names = [o.metric for o in cfg.objectives]
    summary = summarize(runs, args.trials, [o.resolved_direction for o in cfg.objectives], names)
    print(json.dumps({"study": str(args.study.name), "epochs": cfg.training.epochs, "trials": args.trials,
                      "seeds": args.seeds, **summary, "total_s": round(time.perf_counter() - start, 1)}, indent=1))


if __name__ == "__main__":
    main()
