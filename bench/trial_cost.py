"""Benchmark: seconds of each stage of one reference trial, printed as one JSON object.

Reference design (l1-jet-id): DeepSets on 16 constituents x (pT, eta_rel, phi_rel), phi [32, 32, 32],
rho [32], mean pooling, 8-bit weights, quantized_relu(8, 3), QAT, no pruning, RF 1; built-in jets.
Run: .venv/bin/python bench/trial_cost.py [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--study", default=str(Path(__file__).parent.parent / "studies" / "quickstart.yaml"))
    args = parser.parse_args()

    from hls_workers.records import LayerQuant
    from sweep.config import load_config
    from sweep.data.prepare import prepare_data
    from sweep.design import Design
    from sweep.pipeline import run_design

    cfg = load_config(args.study)
    cfg.data.n_constituents = 16
    cfg.training.epochs = args.epochs
    start = time.perf_counter()
    data = prepare_data(cfg.data)
    prepare_s = time.perf_counter() - start
    quant = LayerQuant(weight_bits=8, weight_int_bits=0, act_bits=8, act_int_bits=3)
    design = Design(
        family="deepsets",
        architecture={"n_constituents": 16, "phi": [32, 32, 32], "rho": [32], "aggregation": "mean"},
        layer_quant={name: quant for name in ("phi_0", "phi_1", "phi_2", "rho_0", "output")},
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_design(design, data, cfg, seed=0, trial_dir=Path(tmp), deadline=time.monotonic() + 3600)
        total_s = time.perf_counter() - start
    print(json.dumps({
        "design": "deepsets16 phi[32,32,32] rho[32] mean 8-bit QAT",
        "n_train": len(data.x_train), "n_test": len(data.x_test), "epochs": args.epochs,
        "prepare_data_s": round(prepare_s, 3),
        **{k: round(v, 3) for k, v in result.timings.items()},
        "trial_total_s": round(total_s, 3),
        "emulated_accuracy": result.metrics["emulated_accuracy"],
        "accuracy_gap": result.metrics["accuracy_gap"],
        "agreement": result.metrics["agreement"],
    }))


if __name__ == "__main__":
    main()
