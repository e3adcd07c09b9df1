"""Benchmark: a 16-point PTQ precision grid on one DeepSets, with and without reuse of the trained float model.

Grid: weight_bits {4, 6, 8, 10} x act_int_bits {1, 2, 3, 4} (act_bits 8), sampler ``grid``, built-in quickstart
jets. The same study runs twice, each in its own storage and process: with reuse (one training, 16 conversions)
and with ``HLS_SWEEP_PTQ_REUSE=0`` (16 trainings). Prints one JSON object
``{"points", "seconds_with_reuse", "seconds_without", "speedup"}``; the runs' logs go to stderr.
Run: .venv/bin/python bench/ptq_reuse.py [--epochs N] [--samples K]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def study(tmp: Path, name: str, epochs: int, samples: int, source: str) -> Path:
    doc = {
        "name": name, "seed": 1,
        "storage": f"sqlite:///{tmp / (name + '.db')}", "artifacts_dir": str(tmp / name),
        "data": {"source": source, "n_constituents": 16, "features": "ptetaphi"},
        "model": {"family": "deepsets"},
        "space": {"phi_layers": 2, "phi_width": 16, "rho_layers": 1, "rho_width": 16, "aggregation": "mean",
                  "quantization": "ptq", "weight_bits": [4, 6, 8, 10], "weight_int_bits": 0,
                  "act_bits": 8, "act_int_bits": [1, 2, 3, 4]},
        "training": {"epochs": epochs, "batch_size": 128, "learning_rate": 0.003, "patience": 4},
        "hls4ml": {"max_emulation_samples": samples, "cross_check_every": 0},
        "sampler": {"name": "grid", "seed": 1},
        "objectives": ["emulated_accuracy", "accuracy_gap", "lut"],
        "timeout_per_trial_s": 1800,
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def timed_run(path: Path, reuse: bool) -> float:
    env = {**os.environ, "HLS_SWEEP_PTQ_REUSE": "1" if reuse else "0"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sweep.cli", "run", str(path)], env=env, check=True, cwd=ROOT,
                   stdout=sys.stderr, stderr=sys.stderr)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=1000, help="emulated test jets per trial")
    parser.add_argument("--source", default="builtin:quickstart")
    args = parser.parse_args()

    from sweep.config import load_config
    from sweep.data.prepare import prepare_data

    with tempfile.TemporaryDirectory(prefix="ptq_reuse_") as folder:
        tmp = Path(folder)
        with_reuse = study(tmp, "with_reuse", args.epochs, args.samples, args.source)
        without = study(tmp, "without_reuse", args.epochs, args.samples, args.source)
        prepare_data(load_config(with_reuse).data)  # data generated and cached before either run is timed
        seconds_without = timed_run(without, reuse=False)
        seconds_with = timed_run(with_reuse, reuse=True)
        import optuna

        points = len(optuna.load_study(study_name="with_reuse", storage=f"sqlite:///{tmp / 'with_reuse.db'}").trials)
    print(json.dumps({"points": points, "seconds_with_reuse": round(seconds_with, 1),
                      "seconds_without": round(seconds_without, 1),
                      "speedup": round(seconds_without / seconds_with, 2)}))


if __name__ == "__main__":
    main()
