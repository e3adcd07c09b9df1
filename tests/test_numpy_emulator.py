"""The numpy emulator gives the same output bits as hls4ml's compiled C++ emulator.

Each case builds a model with the project's own families and config derivation, converts it once,
compiles it once (g++) and compares every sample. Cases marked ``slow`` extend the matrix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hls_workers.records import HardwareJob, HlsSettings, LayerQuant


@dataclass
class Case:
    """One model of the matrix: family, bits, hls4ml settings and config overrides."""

    family: str
    quantization: str
    quant: LayerQuant
    aggregation: str = "mean"
    softmax: str = "skip"
    input_precision: str = "ap_fixed<12,4,RND,SAT>"
    pool_accum_precision: str = "auto"
    #: layer name (or "*dense*" for every Dense/pointwise layer) -> hls4ml Precision entries
    precision: dict[str, dict[str, str]] = field(default_factory=dict)
    softmax_config: dict[str, Any] = field(default_factory=dict)
    prune: float = 0.0
    overflow_weights: bool = True
    input_scale: float = 2.0
    strategy: str = "latency"
    reuse_factor: int = 1


CASES = {
    "deepsets_mean_qat8_softmax_stable": Case("deepsets", "qat", LayerQuant(8, 0, 8, 3), softmax="emulate"),
    "deepsets_max_ptq6_starved_wrap": Case(
        "deepsets", "ptq", LayerQuant(6, 1, 6, 2), aggregation="max", input_precision="ap_fixed<8,1>",
        precision={"*dense*": {"result": "fixed<8,1>"}}, input_scale=4.0),
    "mlp_qat4_pruned_softmax_latency": Case(
        "mlp", "qat", LayerQuant(4, 0, 6, 2), softmax="emulate", prune=0.5,
        softmax_config={"Implementation": "latency"}),
    "mlp_ptq16_rnd_sat_accum": Case(
        "mlp", "ptq", LayerQuant(16, 5, 16, 6),
        precision={"*dense*": {"accum": "fixed<14,4,RND,SAT>", "result": "fixed<10,3,RND,SAT>"}}),
}
SLOW_CASES = {
    "deepsets_mean_qat4_narrow_pool_accum": Case(
        "deepsets", "qat", LayerQuant(4, 0, 8, 3), pool_accum_precision="fixed<10,3>", input_scale=6.0),
    "deepsets_max_qat16_softmax_small_tables": Case(
        "deepsets", "qat", LayerQuant(16, 5, 16, 6), aggregation="max", softmax="emulate",
        softmax_config={"TableSize": 256, "Precision": {"exp_table": "fixed<12,4,RND,SAT>",
                                                        "inv_table": "fixed<12,6,RND_CONV,SAT>"}}),
    "deepsets_mean_ptq8_odd_modes": Case(
        "deepsets", "ptq", LayerQuant(8, 2, 8, 3),
        precision={"*dense*": {"accum": "fixed<16,5,TRN_ZERO,SAT_SYM>", "result": "fixed<9,2,RND_INF,SAT_ZERO>"},
                   "*act*": {"result": "ufixed<6,2,RND_ZERO,SAT>"}}),
    "mlp_ptq8_resource_rf4_min_inf": Case(
        "mlp", "ptq", LayerQuant(8, 1, 8, 3), strategy="resource", reuse_factor=4,
        precision={"*dense*": {"accum": "fixed<12,4,RND_MIN_INF,WRAP>", "result": "fixed<8,2,RND_CONV,SAT>"}}),
    "mlp_qat6_starved_softmax_stable": Case(
        "mlp", "qat", LayerQuant(6, 0, 6, 0), softmax="emulate", precision={"*dense*": {"result": "fixed<8,1>"}},
        input_scale=8.0),
}


def _architecture(case: Case) -> tuple[dict, list[str], tuple[int, ...]]:
    if case.family == "deepsets":
        arch = {"n_constituents": None, "phi": [12, 10], "rho": [8], "aggregation": case.aggregation}
        return arch, ["phi_0", "phi_1", "rho_0", "output"], (8, 3)
    return {"hidden": [16, 12]}, ["dense_0", "dense_1", "output"], (16,)


def _perturb_weights(model: Any, case: Case, rng: np.random.Generator) -> None:
    """Random weights, some far outside the weight type (overflow), some pruned to zero."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        new = []
        for w in weights:
            w = rng.normal(scale=0.6, size=w.shape).astype(np.float32)
            if case.overflow_weights:
                w.flat[:: 7] *= 6.0
            if case.prune:
                w[rng.random(w.shape) < case.prune] = 0.0
            new.append(w)
        layer.set_weights(new)


def _apply_overrides(config: dict, case: Case) -> None:
    for name, entry in config["LayerName"].items():
        for pattern, precision in case.precision.items():
            dense_like = pattern == "*dense*" and ("weight" in entry.get("Precision", {}))
            act_like = pattern == "*act*" and name.endswith("_act")
            if dense_like or act_like or pattern == name:
                entry.setdefault("Precision", {}).update(precision)
        if name == "output_softmax" and case.softmax_config:
            for key, value in case.softmax_config.items():
                if isinstance(value, dict):
                    entry.setdefault(key, {}).update(value)
                else:
                    entry[key] = value


def build_case(case: Case, tmp: Path, seed: int = 0) -> tuple[Any, Any, np.ndarray]:
    """(keras model, hls4ml model, inputs) for one case, converted with the project's config derivation."""
    import hls4ml

    from hls_workers.hls_config import build_hls_config
    from sweep.design import Design
    from sweep.models import get_family
    from sweep.training import set_seed

    set_seed(seed)
    rng = np.random.default_rng(seed)
    arch, names, shape = _architecture(case)
    design = Design(family=case.family, architecture=arch, layer_quant={n: case.quant for n in names},
                    quantization=case.quantization, strategy=case.strategy, reuse_factor=case.reuse_factor)
    model = get_family(case.family).build(design, shape, 5, "classification")
    _perturb_weights(model, case, rng)
    settings = HlsSettings(softmax=case.softmax, input_precision=case.input_precision,
                           pool_accum_precision=case.pool_accum_precision)
    job = HardwareJob(model_path="", x_path="", output_dir=str(tmp), quantization=case.quantization,
                      layer_quant=design.layer_quant, settings=settings, reuse_factor=case.reuse_factor,
                      strategy=case.strategy)
    config = build_hls_config(model, job)
    _apply_overrides(config, case)
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(tmp / "hls4ml_prj"), backend=settings.backend,
        part=settings.part, clock_period=settings.clock_period_ns, io_type=settings.io_type)
    x = (rng.normal(size=(600,) + shape) * case.input_scale).astype(np.float32)
    x[:50] = np.round(x[:50] * 16) / 16  # values on a coarse grid: rounding ties at the input
    return model, hls_model, x


def assert_bit_exact(hls_model: Any, x: np.ndarray) -> None:
    from hls_workers.numpy_emulator import build_plan, emulate

    plan = build_plan(hls_model)
    y_numpy = emulate(plan, x)
    hls_model.compile()
    y_hls = np.asarray(hls_model.predict(x)).reshape(len(x), -1)
    assert y_numpy.dtype == y_hls.dtype
    same = np.all(y_numpy == y_hls, axis=1)
    if not same.all():
        bad = int(np.nonzero(~same)[0][0])
        raise AssertionError(f"{(~same).sum()}/{len(x)} samples differ; first #{bad}: numpy {y_numpy[bad]} "
                             f"hls4ml {y_hls[bad]}")


@pytest.mark.parametrize("name", list(CASES))
def test_bit_exact_vs_compiled_hls4ml(name: str, tmp_path: Path) -> None:
    _, hls_model, x = build_case(CASES[name], tmp_path)
    assert_bit_exact(hls_model, x)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SLOW_CASES))
def test_bit_exact_vs_compiled_hls4ml_more(name: str, tmp_path: Path) -> None:
    _, hls_model, x = build_case(SLOW_CASES[name], tmp_path, seed=3)
    assert_bit_exact(hls_model, x)


def test_unsupported_layer_falls_back_to_hls4ml(tmp_path: Path) -> None:
    import tensorflow as tf

    from hls_workers.emulate import run_hardware_job
    from hls_workers.numpy_emulator import UnsupportedGraph, build_plan

    inputs = tf.keras.layers.Input(shape=(16,), name="features")
    x = tf.keras.layers.Dense(8, name="dense_0")(inputs)
    x = tf.keras.layers.Activation("tanh", name="dense_0_tanh")(x)
    x = tf.keras.layers.Dense(5, name="output")(x)
    model = tf.keras.Model(inputs, x)
    model.save(tmp_path / "model.h5")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32))
    quant = LayerQuant(8, 1, 8, 3)
    job = HardwareJob(model_path=str(tmp_path / "model.h5"), x_path=str(tmp_path / "x.npy"),
                      output_dir=str(tmp_path), quantization="ptq",
                      layer_quant={"dense_0": quant, "output": quant}, settings=HlsSettings())
    result = run_hardware_job(job)
    assert result.emulator_used == "hls4ml"
    assert result.fallback_reason is not None and "tanh" in result.fallback_reason
    assert result.timings["compile_s"] > 0
    y = np.load(result.y_path)
    assert y.shape == (64, 5) and np.all(np.isfinite(y))

    from hls_workers.emulate import convert, load_keras_model

    hls_model, _ = convert(load_keras_model(job.model_path), job)
    with pytest.raises(UnsupportedGraph, match="tanh"):
        build_plan(hls_model)


def test_run_design_cross_check_is_bit_exact(tmp_path: Path, quickstart_dir: Path) -> None:
    from sweep.config import parse_config
    from sweep.data.prepare import prepare_data
    from sweep.design import Design
    from sweep.pipeline import run_design

    cfg = parse_config({
        "name": "numpy-emulator",
        "data": {"source": str(quickstart_dir), "n_constituents": 8},
        "training": {"epochs": 1, "batch_size": 256},
        "hls4ml": {"emulator": "numpy", "softmax": "emulate", "max_emulation_samples": 400},
    }, "test")
    data = prepare_data(cfg.data)
    quant = LayerQuant(6, 0, 8, 3)
    design = Design(family="deepsets",
                    architecture={"n_constituents": None, "phi": [8, 8], "rho": [8], "aggregation": "mean"},
                    layer_quant={n: quant for n in ("phi_0", "phi_1", "rho_0", "output")})
    result = run_design(design, data, cfg, seed=1, trial_dir=tmp_path / "trial",
                        deadline=time.monotonic() + 600, cross_check=True)
    assert result.details["emulator_used"] == "numpy"
    assert result.details["fallback_reason"] is None
    assert result.metrics["cross_check_bit_exact_fraction"] == 1.0
    assert result.details["cross_check"]["n"] == 400
    assert (tmp_path / "trial" / "hls4ml_prj" / "firmware").is_dir()
