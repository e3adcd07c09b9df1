"""The l1-jet-id reference DeepSets and its recorded Vivado HLS syntheses, for estimator validation.

``tests/fixtures/deepsets_syntheses/<config>/`` holds, per configuration (weight bits x constituents), the
csynth report numbers and those of the run's trained weights that are public (README there). Missing
weight files are filled with seeded stand-ins on the same grid (``DeepSetsRecord.standins``).
Architecture (from the run's parameters.h / defines.h): input N x 3 ``ap_fixed<12,4,RND,SAT>``; phi =
three pointwise layers 3->32->32->32 (weights ``quantized_bits(b, 0)``, RF 2) each followed by
``quantized_relu(8, 0)``; a ``quantized_bits(12, 4)`` activation; global average pooling; rho = dense 32
(RF 1) + ``quantized_relu(8, 0)``; output dense 5 in ``ap_fixed<16,6>``; softmax. Run
``python tests/deepsets_rows.py`` for the residual table.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutorial_rows import read_weight_file

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RECORDS = Path(__file__).parent / "fixtures" / "deepsets_syntheses"
CASES = ("8bits_8const", "6bits_8const", "4bits_8const")
#: hls4ml weight file index -> (Keras layer name, n_in, n_out)
LAYERS = {19: ("phi1", 3, 32), 20: ("phi2", 32, 32), 21: ("phi3", 32, 32), 13: ("rho", 32, 32), 16: ("dense", 32, 5)}


@dataclass(frozen=True)
class DeepSetsRecord:
    """One recorded synthesis: report numbers, weight bits, constituents and the layer weights."""

    case: str
    report: dict
    weight_bits: int
    n_constituents: int
    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    standins: tuple[str, ...]


def _standin(bits: int, shape: tuple[int, ...], rng: np.random.Generator, float_layer: bool) -> np.ndarray:
    scale = 0.3 / np.sqrt(shape[0]) if len(shape) == 2 else 0.05
    values = rng.laplace(0.0, scale, size=shape)
    if float_layer:
        return values.astype(np.float32)
    step = 2.0 ** -(bits - 1)
    return np.clip(np.round(values / step) * step, -1, 1 - step).astype(np.float32)


def load_record(case: str, seed: int = 0) -> DeepSetsRecord:
    """Read one record; missing weight files become seeded stand-ins (named in ``standins``)."""
    folder = RECORDS / case
    bits = int(case.split("bits")[0])
    n_const = int(case.split("_")[1].replace("const", ""))
    rng = np.random.default_rng(seed)
    weights, standins = {}, []
    for index, (name, n_in, n_out) in LAYERS.items():
        pair = []
        for prefix, shape in (("w", (n_in, n_out)), ("b", (n_out,))):
            values = read_weight_file(folder, f"{prefix}{index}", shape)
            if values is not None:
                pair.append(values)
            else:
                pair.append(_standin(bits, shape, rng, float_layer=name == "dense"))
                standins.append(f"{prefix}{index}")
        weights[name] = (pair[0], pair[1])
    report = json.loads((folder / "report.json").read_text())
    return DeepSetsRecord(case, report, bits, n_const, weights, tuple(standins))


def reported_layers(record: DeepSetsRecord) -> dict[str, dict]:
    """The csynth instance row of each weighted layer, by Keras layer name (phi1..3, rho, dense)."""
    out = {}
    for row in record.report["instances"]:
        module = row["module"]
        for index, (name, _, _) in LAYERS.items():
            if f"config{index}_" in module or (index == 13 and module.startswith("dense_latency_0_")):
                out[name] = row
    return out


def real_layers(record: DeepSetsRecord) -> list[str]:
    """Layers whose kernel is the run's own (not a stand-in)."""
    return [name for index, (name, _, _) in LAYERS.items() if f"w{index}" not in record.standins]


def build_model(record: DeepSetsRecord):
    """The QKeras reference DeepSets with the record's weights."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(record.weight_bits, 0, alpha=1)
    inp = tf.keras.Input((record.n_constituents, 3), name="constituents")
    x = inp
    for name in ("phi1", "phi2", "phi3"):
        x = QDense(32, kernel_quantizer=q, bias_quantizer=q, name=name)(x)
        x = QActivation(quantized_relu(8, 0), name=f"{name}_relu")(x)
    x = QActivation(quantized_bits(12, 4, alpha=1), name="pre_pool")(x)
    x = tf.keras.layers.GlobalAveragePooling1D(name="pool")(x)
    x = QDense(32, kernel_quantizer=q, bias_quantizer=q, name="rho")(x)
    x = QActivation(quantized_relu(8, 0), name="rho_relu")(x)
    x = tf.keras.layers.Dense(5, name="dense")(x)
    x = tf.keras.layers.Activation("softmax", name="softmax")(x)
    model = tf.keras.Model(inp, x)
    for name, (kernel, bias) in record.weights.items():
        model.get_layer(name).set_weights([kernel, bias])
    return model


def convert_record(record: DeepSetsRecord, output_dir: str):
    """hls4ml ModelGraph as the run configured it: Vivado backend, io_parallel, RF 2 on phi."""
    import hls4ml

    model = build_model(record)
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado",
                                                  default_precision="ap_fixed<16,6>")
    config["LayerName"]["constituents"]["Precision"] = {"result": "ap_fixed<12,4,AP_RND,AP_SAT>"}
    for name in ("phi1", "phi2", "phi3"):
        config["LayerName"][name]["ReuseFactor"] = 2
    for name in ("phi1", "phi2", "phi3", "rho"):  # the run's hls4ml used the model default here
        config["LayerName"][name]["Precision"].update(accum="ap_fixed<16,6>", result="ap_fixed<16,6>")
    config["LayerName"]["dense"]["Precision"] = {"weight": "ap_fixed<16,6>", "bias": "ap_fixed<16,6>",
                                                 "accum": "ap_fixed<16,6>", "result": "ap_fixed<16,6>"}
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=output_dir, backend="Vivado", part=record.report["part"],
        clock_period=float(record.report["clock_target_ns"]), io_type="io_parallel",
    )


def record_residuals(output_root: str, estimator: str = "analytic") -> list[dict]:
    """Reported vs estimated for every record."""
    from hls_workers.estimate import get_estimator

    out = []
    for case in CASES:
        record = load_record(case)
        est = get_estimator(estimator).estimate(convert_record(record, str(Path(output_root) / case)))
        total = record.report["total"]
        out.append({
            "case": case, "standins": record.standins, "estimate": est, "record": record,
            "reported": (int(record.report["latency_max"]), int(total["dsp"]), int(total["lut"]), int(total["ff"])),
            "estimated": (est.latency_cycles.value, est.dsp.value, est.lut.value, est.ff.value),
            "cycles_err": est.latency_cycles.value - int(record.report["latency_max"]),
            "dsp_err_pct": 100.0 * (est.dsp.value - total["dsp"]) / total["dsp"],
            "lut_err_pct": 100.0 * (est.lut.value - total["lut"]) / total["lut"],
            "ff_err_pct": 100.0 * (est.ff.value - total["ff"]) / total["ff"],
        })
    return out


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).parents[1]))
    with tempfile.TemporaryDirectory() as tmp:
        print("| record | stand-ins | cycles rep/est | DSP rep/est (err) | LUT rep/est (err) | FF rep/est (err) |")
        print("|---|---|---|---|---|---|")
        for r in record_residuals(tmp):
            (rc, rd, rl, rf), (ec, ed, el, ef) = r["reported"], r["estimated"]
            print(f"| {r['case']} | {', '.join(r['standins']) or '-'} | {rc} / {ec:.0f} ({r['cycles_err']:+.0f}) "
                  f"| {rd} / {ed:.0f} ({r['dsp_err_pct']:+.1f} %) | {rl:,} / {el:,.0f} ({r['lut_err_pct']:+.1f} %) "
                  f"| {rf:,} / {ef:,.0f} ({r['ff_err_pct']:+.1f} %) |")
            reported = reported_layers(r["record"])
            for layer in r["estimate"].per_layer:
                if layer["name"] in reported:
                    rep = reported[layer["name"]]
                    real = "real" if layer["name"] in real_layers(r["record"]) else "stand-in"
                    print(f"|   {layer['name']} ({real} weights) | | | {rep['dsp']} / {layer['dsp']} | "
                          f"{rep['lut']:,} / {layer['lut']:,} | |")
