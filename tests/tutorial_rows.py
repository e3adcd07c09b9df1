"""The hls4ml tutorial jet tagger (16-64-32-32-5) and its published Vitis HLS syntheses, for calibration.

Two kinds of ground truth:

- ``ROWS``: the published syntheses (Vitis HLS 2024.1, xcu250, 5 ns, C synthesis; hls4ml-tutorial parts
  1-4, DESIGN.md). Their trained weights were not published, so each row borrows the weights of a
  third-party run of the *same* tutorial model (``Row.proxy``, a record below).
- ``SYNTHESIS_CASES``: third-party runs recorded with their trained weights *and* their own csynth
  report (tests/fixtures/tutorial_syntheses): the estimator sees exactly the weights the tool saw.

``tutorial_weights`` (seeded Laplace stand-ins shaped like an L1-regularised network) remain for the
behaviour tests. Run ``python tests/tutorial_rows.py`` for both residual tables.
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
    #: The recorded run whose trained weights stand in for the unpublished ones.
    proxy: str | None = None


ROWS = (
    Row("ap_fixed<16,6> RF1", 0.0, None, 1, 14, 1502, 101_839, "hector_model_1"),
    Row("75% pruned", 0.75, None, 1, 12, 834, 33_849, "hector_model_2"),
    Row("QKeras 6-bit + 75% pruned", 0.75, 6, 1, 12, 34, 42_160, "hector_model_3_9f451d8"),
    Row("ap_fixed<16,6> RF2", 0.0, None, 2, 13, 1476, 102_510, "hector_model_1"),
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


def build_model(row: Row, seed: int = 0, weights: list[tuple[np.ndarray, np.ndarray]] | None = None):
    """The Keras (or QKeras) tutorial model with the row's stand-in weights, or with ``weights``."""
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
    for name, (kernel, bias) in zip(names, weights or tutorial_weights(seed, row.sparsity)):
        if row.qkeras_bits:  # QAT weights sit on their grid
            step = 2.0 ** -(row.qkeras_bits - 1)
            kernel = np.clip(np.round(kernel / step) * step, -1, 1 - step)
            bias = np.clip(np.round(bias / step) * step, -1, 1 - step)
        model.get_layer(name).set_weights([kernel, bias])
    return model


def convert_row(row: Row, output_dir: str, seed: int = 0, strategy: str = "Latency"):
    """hls4ml ModelGraph of the row (its proxy's weights), configured as the tutorial did (no compile)."""
    import hls4ml

    model = build_model(row, seed, weights=load_synthesis(row.proxy).weights if row.proxy else None)
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


#: Third-party runs of the same tutorial with their trained weights and C-synthesis reports
#: (tests/fixtures/tutorial_syntheses/README.md).
SYNTHESES = Path(__file__).parent / "fixtures" / "tutorial_syntheses"
SYNTHESIS_CASES = ("hector_model_1", "hector_model_2", "hector_model_3_9f451d8", "nrp_model_1")
_WEIGHT_FILES = (("w2", "b2"), ("w5", "b5"), ("w8", "b8"), ("w11", "b11"))


@dataclass(frozen=True)
class Synthesis:
    """One recorded synthesis: the trained weights and the numbers of its csynth report."""

    case: str
    report: dict
    weights: list[tuple[np.ndarray, np.ndarray]]
    #: Weight files missing from the record, filled with stand-ins (a kernel) or zeros (a bias).
    standins: tuple[str, ...] = ()

    @property
    def qkeras_bits(self) -> int | None:
        return 6 if "model_3" in self.case else None

    @property
    def tool(self) -> str:
        return f"{self.report['tool']} {self.report['tool_version']}"

    @property
    def row(self) -> Row:
        total = self.report["total"]
        sparsity = float(np.mean([np.mean(k == 0) for k, _ in self.weights]))
        return Row(self.case, round(sparsity, 2), self.qkeras_bits, 1, int(self.report["latency_max"]),
                   int(total["dsp"]), int(total["lut"]))


def read_weight_file(folder: Path, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """``folder/weights/<name>.txt`` as written by hls4ml (comma-separated, C order), or None if absent."""
    path = folder / "weights" / f"{name}.txt"
    if not path.exists():
        return None
    return np.loadtxt(path, delimiter=",", dtype=np.float64).reshape(shape).astype(np.float32)


def load_synthesis(case: str) -> Synthesis:
    """Read one record: hls4ml's weight text files (kernels flattened as (n_in, n_out)) and report.json."""
    import json

    folder = SYNTHESES / case
    loaded: list[tuple[np.ndarray | None, np.ndarray | None]] = []
    for (w_name, b_name), n_in, n_out in zip(_WEIGHT_FILES, WIDTHS[:-1], WIDTHS[1:]):
        loaded.append((read_weight_file(folder, w_name, (n_in, n_out)), read_weight_file(folder, b_name, (n_out,))))
    known = [k for k, _ in loaded if k is not None]
    sparsity = float(np.mean([np.mean(k == 0) for k in known]))
    fill = tutorial_weights(0, sparsity)
    weights, standins = [], []
    for (kernel, bias), (w_name, b_name), (fill_kernel, _) in zip(loaded, _WEIGHT_FILES, fill):
        if kernel is None:
            kernel, standins = fill_kernel, [*standins, w_name]
        if bias is None:
            bias, standins = np.zeros(kernel.shape[1], np.float32), [*standins, b_name]
        weights.append((kernel, bias))
    return Synthesis(case, json.loads((folder / "report.json").read_text()), weights, tuple(standins))


def convert_synthesis(synthesis: Synthesis, output_dir: str):
    """hls4ml ModelGraph of a recorded run, with its weights, part and clock (no compile)."""
    import hls4ml

    row = synthesis.row
    backend = "Vitis" if synthesis.report["tool"].startswith("Vitis") else "Vivado"
    model = build_model(row, weights=synthesis.weights)
    if row.qkeras_bits:
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend)
        for name in ("fc1", "fc2", "fc3", "output"):  # the runs' hls4ml used the model default here
            config["LayerName"][name]["Precision"].update(accum="ap_fixed<16,6>", result="ap_fixed<16,6>")
    else:
        config = hls4ml.utils.config_from_keras_model(model, granularity="model", backend=backend,
                                                      default_precision="ap_fixed<16,6>")
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=output_dir, backend=backend, part=synthesis.report["part"],
        clock_period=float(synthesis.report["clock_target_ns"]), io_type="io_parallel",
    )


def _residual(row: Row, est, ff: int | None = None) -> dict:
    lut, dsp, cycles = est.lut.value, est.dsp.value, est.latency_cycles.value
    out = {
        "row": row.name, "published": (row.cycles, row.dsp, row.lut), "estimated": (cycles, dsp, lut),
        "lut_err_pct": 100.0 * (lut - row.lut) / row.lut, "dsp_err_pct": 100.0 * (dsp - row.dsp) / row.dsp,
        "cycles_err": cycles - row.cycles, "estimate": est,
    }
    if ff:
        out.update(ff=(ff, est.ff.value), ff_err_pct=100.0 * (est.ff.value - ff) / ff)
    return out


def residuals(output_root: str, estimator: str = "analytic") -> list[dict]:
    """Published vs estimated for every published row."""
    from hls_workers.estimate import get_estimator

    return [_residual(row, get_estimator(estimator).estimate(convert_row(row, str(Path(output_root) / f"row{i}"))))
            for i, row in enumerate(ROWS)]


def record_residuals(output_root: str, estimator: str = "analytic") -> list[dict]:
    """Reported vs estimated for every recorded run (its own weights, backend and clock)."""
    from hls_workers.estimate import get_estimator

    out = []
    for case in SYNTHESIS_CASES:
        record = load_synthesis(case)
        est = get_estimator(estimator).estimate(convert_synthesis(record, str(Path(output_root) / case)))
        result = _residual(record.row, est, ff=int(record.report["total"]["ff"]))
        result.update(tool=record.tool, standins=record.standins)
        out.append(result)
    return out


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).parents[1]))
    def show(results: list[dict], with_ff: bool) -> None:
        print("| design | cycles pub/est | DSP pub/est (err) | LUT pub/est (err) |" + (" FF rep/est (err) |" if with_ff else ""))
        print("|---|---|---|---|" + ("---|" if with_ff else ""))
        for r in results:
            (pc, pd, pl), (ec, ed, el) = r["published"], r["estimated"]
            line = (f"| {r['row']} | {pc} / {ec:.0f} ({r['cycles_err']:+.0f}) | {pd} / {ed:.0f} ({r['dsp_err_pct']:+.1f} %) "
                    f"| {pl:,} / {el:,.0f} ({r['lut_err_pct']:+.1f} %) |")
            if with_ff:
                line += f" {r['ff'][0]:,} / {r['ff'][1]:,.0f} ({r['ff_err_pct']:+.1f} %) |"
            print(line)
            if "-v" in sys.argv:
                for layer in r["estimate"].per_layer:
                    print("   ", layer)

    with tempfile.TemporaryDirectory() as tmp:
        print("Published Vitis HLS 2024.1 rows (proxy weights):")
        show(residuals(tmp), with_ff=False)
        print("\nRecorded runs (their own weights and reports):")
        show(record_residuals(tmp), with_ff=True)
