"""Benchmark: does a float DeepSets learn the cluster energy better than the raw cell sum?

Trains the ``deepsets`` family (the library's own builder and training loop, float = the PTQ side) on the
L0 regression study's data (``studies/l0_pion_regression.yaml``: ``builtin:pions``, cells (eta, phi, layer,
ln(E/GeV)/10), pad -6) for each aggregation x target transform asked for, and prints one JSON object: per
run the relative resolution (median and IQR of (pred - true)/true) on the test split, overall and in three
true-energy bands, next to the raw cell sum's (scaled by one constant, the median response on the
training split). Numbers and the command used are in docs/l0_studies.md.
Run: .venv/bin/python bench/l0_energy_regression.py [--cells 128] [--epochs 100] [--patience 10]
     [--aggregations mean,sum] [--targets linear,log] [--phi 32,32] [--rho 16]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hls_workers.records import LayerQuant  # noqa: E402
from sweep.config import load_config  # noqa: E402
from sweep.data.prepare import prepare_data  # noqa: E402
from sweep.data.targets import physical_units  # noqa: E402
from sweep.design import Design  # noqa: E402
from sweep.metrics import resolution  # noqa: E402
from sweep.models import get_family  # noqa: E402
from sweep.training import set_seed, train  # noqa: E402

BANDS = {"all": (0.0, np.inf), "E<10": (0.0, 10.0), "10<=E<50": (10.0, 50.0), "E>=50": (50.0, np.inf)}


def banded(pred: np.ndarray, true: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for name, (lo, hi) in BANDS.items():
        keep = (true >= lo) & (true < hi)
        median, iqr = resolution(pred[keep], true[keep])
        out[name] = {"median": round(median, 4), "iqr": round(iqr, 4), "n": int(keep.sum())}
    return out


def raw_cell_sum(x: np.ndarray, pad_value: float) -> np.ndarray:
    """Sum of the real cells' energies (GeV) from the prepared ln(E)/10 feature (all stored cells)."""
    real = x[..., 3] != pad_value
    return (np.exp(x[..., 3].astype(np.float64) * 10.0) * real).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", default=str(ROOT / "studies" / "l0_pion_regression.yaml"))
    parser.add_argument("--cells", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--aggregations", default="mean,sum")
    parser.add_argument("--targets", default="linear,log")
    parser.add_argument("--phi", default="32,32")
    parser.add_argument("--rho", default="16")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    cfg = load_config(args.study)
    training = cfg.training.model_copy(update={"epochs": args.epochs, "patience": args.patience})
    phi = [int(w) for w in args.phi.split(",")]
    rho = [int(w) for w in args.rho.split(",")] if args.rho else []
    family = get_family("deepsets")
    results: dict[str, object] = {"cells": args.cells, "epochs": args.epochs, "phi": phi, "rho": rho,
                                  "source": cfg.data.source, "runs": []}
    for target in args.targets.split(","):
        data = prepare_data(cfg.data.model_copy(update={"target_transform": target}), progress=True)
        true = physical_units(data.y_test[:, 0], data.meta)
        if "raw_cell_sum" not in results:
            train_response = raw_cell_sum(data.x_train, cfg.data.pad_value) / physical_units(
                data.y_train[:, 0], data.meta)
            raw = raw_cell_sum(data.x_test, cfg.data.pad_value) / np.median(train_response)
            results["n_train"] = len(data.x_train)
            results["raw_cell_sum"] = banded(raw, true)
        for aggregation in args.aggregations.split(","):
            architecture = {"n_constituents": args.cells, "phi": phi, "rho": rho, "aggregation": aggregation}
            names = [name for name, _, _ in family.dense_layers(architecture)]
            design = Design("deepsets", architecture, {n: LayerQuant(18, 4, 18, 8) for n in names},
                            quantization="ptq")
            inputs = family.inputs(data, architecture)
            set_seed(args.seed)
            model = family.build(design, inputs.input_shape, 1, "regression")
            start = time.perf_counter()
            outcome = train(model, inputs, design, training, args.seed, deadline=time.monotonic() + 36_000)
            pred = physical_units(outcome.model.predict(inputs.x_test, verbose=0)[:, 0], data.meta)
            results["runs"].append({"aggregation": aggregation, "target_transform": target,
                                    "epochs_run": outcome.epochs_run,
                                    "train_s": round(time.perf_counter() - start, 1),
                                    "resolution": banded(pred, true)})
            print(f"{aggregation} {target}: {results['runs'][-1]['resolution']['all']}", file=sys.stderr)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
