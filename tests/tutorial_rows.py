"""The hls4ml tutorial jet tagger (16-64-32-32-5) and its published Vitis HLS syntheses, for calibration.

Published rows (Vitis HLS 2024.1, xcu250, 5 ns, C synthesis; hls4ml-tutorial parts 1-4, DESIGN.md).
The trained weights are not available offline, so the models get seeded random weights with the shape
of an L1-regularised trained network (Laplace, see ``LAPLACE_SCALE``); pruning keeps the largest 75 %/25 %
per layer as tfmot's magnitude pruning does. Run ``python tests/tutorial_rows.py`` for the residual table.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

WIDTHS = (16, 64, 32, 32, 5)
PART = "xcu250-figd2104-2L-e"
CLOCK_NS = 5.0
#: Laplace scale of the weights, times 1/sqrt(fan_in) (the tutorial uses lecun_uniform + L1 1e-4).
LAPLACE_SCALE = 0.2


@dataclass(frozen=True)
class Row:
    name: str
    sparsity: float
    qkeras_bits: int | None
    reuse_factor: int
    cycles: int
    dsp: int
    lut: int


ROWS = (
    Row("ap_fixed<16,6> RF1", 0.0, None, 1, 14, 1502, 101_839),
    Row("75% pruned", 0.75, None, 1, 12, 834, 33_849),
    Row("QKeras 6-bit + 75% pruned", 0.75, 6, 1, 12, 34, 42_160),
    Row("ap_fixed<16,6> RF2", 0.0, None, 2, 13, 1476, 102_510),
)


def tutorial_weights(seed: int = 0, sparsity: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) per layer: Laplace weights, magnitude-pruned to ``sparsity`` per layer."""
    rng = np.random.default_rng(seed)
    out = []
    for n_in, n_out in zip(WIDTHS[:-1], WIDTHS[1:]):
        kernel = rng.laplace(0.0, LAPLACE_SCALE / np.sqrt(n_in), size=(n_in, n_out))
        if sparsity > 0:
            cut = np.quantile(np.abs(kernel), sparsity)
            kernel = np.where(np.abs(kernel) > cut, kernel, 0.0)
        bias = rng.laplace(0.0, 0.05, size=n_out)
        out.append((kernel.astype(np.float32), bias.astype(np.float32)))
    return out


def build_model(row: Row, seed: int = 0):
    """The Keras (or QKeras) tutorial model with the row's weights."""
    import tensorflow as tf

    names = ["fc1", "fc2", "fc3", "output"]
    inp = tf.keras.Input((WIDTHS[0],), name="input_1")
    x = inp
    for i, name in enumerate(names):
        if row.qkeras_bits:
            from qkeras import QActivation, QDense, quantized_bits, quantized_relu

            q = quantized_bits(row.qkeras_bits, 0, alpha=1)
            x = QDense(WIDTHS[i + 1], kernel_quantizer=q, bias_quantizer=q, name=name)(x)
            if name != "output":
                x = QActivation(quantized_relu(row.qkeras_bits), name=f"relu{i + 1}")(x)
        else:
            x = tf.keras.layers.Dense(WIDTHS[i + 1], name=name)(x)
            if name != "output":
                x = tf.keras.layers.Activation("relu", name=f"relu{i + 1}")(x)
    x = tf.keras.layers.Activation("softmax", name="softmax")(x)
    model = tf.keras.Model(inp, x)
    for name, (kernel, bias) in zip(names, tutorial_weights(seed, row.sparsity)):
        if row.qkeras_bits:  # QAT weights sit on their grid
            step = 2.0 ** -(row.qkeras_bits - 1)
            kernel = np.clip(np.round(kernel / step) * step, -1, 1 - step)
            bias = np.clip(np.round(bias / step) * step, -1, 1 - step)
        model.get_layer(name).set_weights([kernel, bias])
    return model


def convert_row(row: Row, output_dir: str, seed: int = 0, strategy: str = "Latency"):
    """hls4ml ModelGraph of the row, configured as the tutorial did (no compile)."""
    import hls4ml

    model = build_model(row, seed)
    if row.qkeras_bits:
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    else:
        config = hls4ml.utils.config_from_keras_model(model, granularity="model", backend="Vitis",
                                                      default_precision="ap_fixed<16,6>")
    config["Model"]["ReuseFactor"] = row.reuse_factor
    config["Model"]["Strategy"] = strategy
    for entry in config.get("LayerName", {}).values():
        entry["ReuseFactor"] = row.reuse_factor
        entry["Strategy"] = strategy
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=output_dir, backend="Vitis", part=PART,
        clock_period=CLOCK_NS, io_type="io_parallel",
    )


def residuals(output_root: str, estimator: str = "analytic") -> list[dict]:
    """Published vs estimated for every row."""
    from hls_workers.estimate import get_estimator

    out = []
    for i, row in enumerate(ROWS):
        est = get_estimator(estimator).estimate(convert_row(row, str(Path(output_root) / f"row{i}")))
        lut, dsp, cycles = est.lut.value, est.dsp.value, est.latency_cycles.value
        out.append({
            "row": row.name, "published": (row.cycles, row.dsp, row.lut), "estimated": (cycles, dsp, lut),
            "lut_err_pct": 100.0 * (lut - row.lut) / row.lut, "dsp_err_pct": 100.0 * (dsp - row.dsp) / row.dsp,
            "cycles_err": cycles - row.cycles, "estimate": est,
        })
    return out


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).parents[1]))
    with tempfile.TemporaryDirectory() as tmp:
        print("| design | cycles pub/est | DSP pub/est (err) | LUT pub/est (err) |")
        print("|---|---|---|---|")
        for r in residuals(tmp):
            (pc, pd, pl), (ec, ed, el) = r["published"], r["estimated"]
            print(f"| {r['row']} | {pc} / {ec:.0f} ({r['cycles_err']:+.0f}) | {pd} / {ed:.0f} ({r['dsp_err_pct']:+.1f} %) "
                  f"| {pl:,} / {el:,.0f} ({r['lut_err_pct']:+.1f} %) |")
            if "-v" in sys.argv:
                for layer in r["estimate"].per_layer:
                    print("   ", layer)
