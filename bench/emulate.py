"""Benchmark: numpy emulator vs hls4ml's compiled emulator on the reference DeepSets, as one JSON object.

Reference design (l1-jet-id): DeepSets on 16 constituents x (pT, eta_rel, phi_rel), phi [32, 32, 32],
rho [32], mean pooling, weights quantized_bits(8, 0, alpha=1), quantized_relu(8, 3), QAT, trained
briefly on the built-in jets; 10k jets (test + train inputs, tiled with a small perturbation).
Run: .venv/bin/python bench/emulate.py [--epochs N] [--n-jets N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def jets(data, n: int, seed: int = 0):
    """``n`` inputs: the test then train jets, tiled with a small perturbation beyond the first pass."""
    import numpy as np

    pool = np.concatenate([data.x_test, data.x_train]).astype(np.float32)
    reps = -(-n // len(pool))
    rng = np.random.default_rng(seed)
    tiled = [pool] + [pool + rng.normal(scale=0.05, size=pool.shape).astype(np.float32) for _ in range(reps - 1)]
    return np.concatenate(tiled)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n-jets", type=int, default=10_000)
    args = parser.parse_args()

    import numpy as np

    from hls_workers.emulate import hls4ml_predict, load_keras_model, run_hardware_job
    from hls_workers.numpy_emulator import build_plan, emulate
    from hls_workers.records import HardwareJob, HlsSettings, LayerQuant
    from sweep.config import TrainingConfig
    from sweep.data.builtin import resolve_builtin
    from sweep.data.config import DataConfig
    from sweep.data.prepare import prepare_data
    from sweep.design import Design
    from sweep.models import get_family
    from sweep.training import set_seed, train

    data = prepare_data(DataConfig(source=str(resolve_builtin("quickstart")), n_constituents=16))
    quant = LayerQuant(weight_bits=8, weight_int_bits=0, act_bits=8, act_int_bits=3)
    names = ("phi_0", "phi_1", "phi_2", "rho_0", "output")
    design = Design(family="deepsets",
                    architecture={"n_constituents": 16, "phi": [32, 32, 32], "rho": [32], "aggregation": "mean"},
                    layer_quant={name: quant for name in names})
    set_seed(0)
    model = get_family("deepsets").build(design, data.input_shape, data.n_outputs, data.task)
    model = train(model, data, design, TrainingConfig(epochs=args.epochs), 0, time.monotonic() + 3600).model
    x = jets(data, args.n_jets)

    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "model.h5", include_optimizer=False)
        np.save(Path(tmp) / "x.npy", x)
        job = HardwareJob(model_path=str(Path(tmp) / "model.h5"), x_path=str(Path(tmp) / "x.npy"), output_dir=tmp,
                          quantization="qat", layer_quant=design.layer_quant, settings=HlsSettings(),
                          logits_layer="output", emulator="numpy")
        run_hardware_job(job)  # warm-up: first TF/hls4ml calls in this process
        start = time.perf_counter()
        stage = run_hardware_job(job)
        stage_s = time.perf_counter() - start

        from hls_workers.emulate import convert

        hls_model, _ = convert(load_keras_model(job.model_path), job)
        start = time.perf_counter()
        y_numpy = emulate(build_plan(hls_model), x)
        numpy_s = time.perf_counter() - start
        timings: dict[str, float] = {}
        y_hls = hls4ml_predict(hls_model, x, timings)
    hls4ml_s = timings["compile_s"] + timings["predict_s"]
    exact = np.all(y_numpy.astype(np.float64) == y_hls, axis=1)
    print(json.dumps({
        "design": "deepsets16 phi[32,32,32] rho[32] mean 8-bit QAT, quantized_relu(8,3), softmax skipped",
        "n_jets": len(x), "epochs": args.epochs,
        "bit_exact_fraction": float(exact.mean()),
        "hls4ml_seconds": round(hls4ml_s, 3),
        "hls4ml_compile_s": round(timings["compile_s"], 3), "hls4ml_predict_s": round(timings["predict_s"], 3),
        "numpy_seconds": round(numpy_s, 3),
        "speedup": round(hls4ml_s / numpy_s, 1),
        "hardware_stage_numpy_s": round(stage_s, 3),
        "hardware_stage_timings": {k: round(v, 3) for k, v in stage.timings.items()},
        "emulator_used": stage.emulator_used,
    }))


if __name__ == "__main__":
    main()
