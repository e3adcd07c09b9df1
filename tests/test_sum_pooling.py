"""``aggregation: sum``: the GlobalSumPooling1D layer through hls4ml's Extension API, end to end.

It converts and compiles (Vitis and Vivado), the numpy emulator reproduces the compiled C++ bit for bit
(sane, rounding/saturating and starved accumulators), the emulation is within resolution of Keras at sane
precision and overflows at starved precision, its widths come from the design (never hls4ml's default), the
estimators, BOPs and profiling read it, and registering twice is harmless. Three g++ compiles in all.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from hls_workers.fixed_point import FixedType, from_hls, parse_precision
from hls_workers.records import DenseRecord, HardwareJob, HlsSettings, LayerQuant, NetworkRecord, PoolRecord
from hls_workers.widths import activation_type, clog2, pool_types

ITEMS, FEATURES = 8, 3
INPUT_PRECISION = "ap_fixed<12,4,RND,SAT>"


# ---------------------------------------------------------------- widths (no hls4ml)

@pytest.mark.parametrize("n", [1, 2, 5, 8, 12, 16, 128])
def test_sum_accumulator_is_source_plus_clog2_n_integer_bits(n):
    signed = FixedType(10, 4)
    accum, result = pool_types("sum", signed, n)
    assert accum == result
    assert accum.integer == signed.integer + clog2(n) and accum.fractional == signed.fractional
    assert accum.signed and accum.overflow == "WRAP" and accum.rounding == "TRN"
    unsigned = activation_type(LayerQuant(8, 0, 8, 3))  # ap_ufixed<8,3,RND_CONV,SAT>: a sign bit more
    accum, result = pool_types("sum", unsigned, n)
    assert accum == result
    assert accum.integer == unsigned.integer + clog2(n) + 1 and accum.fractional == unsigned.fractional
    assert accum.signed


def test_derived_sum_cannot_overflow():
    """The largest and smallest sums of n source values fit the derived type."""
    for source in (FixedType(6, 2), FixedType(5, 3, signed=False)):
        for n in (3, 8, 100):
            accum, _ = pool_types("sum", source, n)
            lsb = 2.0 ** -source.fractional
            high = (2.0 ** (source.integer - (1 if source.signed else 0))) - lsb
            low = -(2.0 ** (source.integer - 1)) if source.signed else 0.0
            assert n * high <= 2.0 ** (accum.integer - 1) - 2.0 ** -accum.fractional
            assert n * low >= -(2.0 ** (accum.integer - 1))


def test_numpy_sum_kernel_by_hand():
    """acc += x in accum_t (WRAP), then one cast to result_t."""
    from hls_workers.numpy_emulator import layers as L

    x_t = FixedType(4, 4)  # integers -8..7
    x = np.array([[[5], [5]], [[-3], [2]]], dtype=np.int64)  # (N=2, items=2, features=1)
    wrapped = L.global_sum_pooling1d(x, x_t, FixedType(4, 4), FixedType(8, 8))
    assert wrapped.ravel().tolist() == [-6, -1]  # 10 wraps to -6
    saturated = L.global_sum_pooling1d(x, x_t, FixedType(4, 4, overflow="SAT"), FixedType(8, 8))
    assert saturated.ravel().tolist() == [7, -1]
    exact = L.global_sum_pooling1d(x, x_t, *pool_types("sum", x_t, 2))
    assert exact.ravel().tolist() == [10, -1]


# ---------------------------------------------------------------- BOPs and the pre-training estimate

def _network(op: str, items: int = 12) -> NetworkRecord:
    q = LayerQuant(6, 0, 8, 3)
    return NetworkRecord((DenseRecord("phi_0", 3, 5, q, repeats=items), PoolRecord("pool", op, items, 5),
                          DenseRecord("output", 5, 2, LayerQuant(6, 0, 10, 4), relu=False)))


def test_bops_and_pretrain_estimate_handle_a_sum():
    from hls_workers.bops import DenseCost, total_bops
    from hls_workers.network_cost import network_bops, pretrain_estimate, pretrain_specs

    input_t = parse_precision(INPUT_PRECISION)
    summed = pool_types("sum", activation_type(LayerQuant(6, 0, 8, 3)), 12)[1]
    assert summed.width == 8 + 4 + 1
    expected = total_bops([DenseCost("phi_0", 3, 5, 15, input_t.width, 6, 12),
                           DenseCost("output", 5, 2, 10, summed.width, 6, 1)])
    assert network_bops(_network("sum"), input_t) == expected
    specs = {s.name: s for s in pretrain_specs(_network("sum"), input_t)}
    assert specs["pool"].kind == "pool_sum"
    assert specs["pool"].accum_bits == specs["pool"].result_bits == summed.width
    assert specs["output"].input_bits == summed.width
    estimate = {op: pretrain_estimate(_network(op), input_t).to_dict(per_layer=True) for op in ("sum", "mean")}
    pools = {op: next(l for l in e["per_layer"] if l["name"] == "pool") for op, e in estimate.items()}
    assert pools["sum"]["dsp"] == 0 and pools["mean"]["dsp"] > 0  # 12 items: the mean divides, the sum does not
    assert pools["sum"]["lut"] < pools["mean"]["lut"]


def test_pretrain_from_shapes_knows_sum():
    from hls_workers.estimate.pretrain import network_from_shapes

    record = network_from_shapes([(3, 5, 8), {"pool": "sum", "items": 8, "features": 5}, (5, 2)], 8)
    assert [l.op for l in record.layers if isinstance(l, PoolRecord)] == ["sum"]


# ---------------------------------------------------------------- the study side

def test_aggregation_sum_validates_and_builds():
    import optuna
    import yaml

    from sweep.config import parse_config
    from sweep.models import get_family
    from sweep.space import SearchSpace

    doc = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "studies", "quickstart.yaml")))
    doc["space"]["aggregation"] = "sum"
    cfg = parse_config(doc, "quickstart.yaml")
    design = SearchSpace(cfg.model.family, cfg.space, cfg.model.per_layer_bits).sample(
        optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3)).ask())
    assert design.architecture["aggregation"] == "sum"
    model = get_family("deepsets").build(design, (16, 3), 5, "classification")
    assert type(model.get_layer("pool")).__name__ == "GlobalSumPooling1D"


# ---------------------------------------------------------------- conversion, compile, bit-exactness

def _design(act: tuple[int, int]):
    from sweep.design import Design

    quant = {"phi_0": LayerQuant(8, 1, *act), "output": LayerQuant(8, 1, 16, 8)}
    return Design("deepsets", {"n_constituents": None, "phi": [4], "rho": [], "aggregation": "sum"}, quant,
                  quantization="qat")


def _model(act: tuple[int, int], seed: int = 0):
    """A DeepSets phi → sum → output with random QAT weights on their quantizer grid (Keras computes them exactly)."""
    from sweep.models import get_family

    model = get_family("deepsets").build(_design(act), (ITEMS, FEATURES), 2, "regression")
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([rng.integers(-64, 64, w.shape) / 64.0 for w in layer.get_weights()])
    return model


def _inputs(n: int = 300, seed: int = 1) -> np.ndarray:
    """Inputs on the grid of the input type (so its RND,SAT conversion is exact)."""
    return (np.random.default_rng(seed).integers(-1024, 1024, (n, ITEMS, FEATURES)) / 256.0).astype(np.float32)


def _job(tmp_path, act, backend="Vitis", pool_accum="auto") -> HardwareJob:
    return HardwareJob("", "", str(tmp_path), "qat", dict(_design(act).layer_quant),
                       HlsSettings(backend=backend, input_precision=INPUT_PRECISION, pool_accum_precision=pool_accum))


#: (backend, act bits/int bits, pool accumulator): sane, starved (wraps), narrow + rounding/saturating.
COMPILED = {
    "vitis-sane": ("Vitis", (8, 3), "auto"),
    "vivado-starved": ("Vivado", (8, 3), "fixed<6,3>"),
    "vitis-narrow-rnd-sat": ("Vitis", (6, 2), "fixed<9,5,RND,SAT>"),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Each COMPILED case: Keras model, hls4ml model (compiled), inputs, Keras, numpy and hls4ml outputs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from hls_workers.emulate import convert, keras_reference, numpy_predict

    x = _inputs()
    out = {}
    for case, (backend, act, accum) in COMPILED.items():
        model = _model(act)
        job = _job(tmp_path_factory.mktemp(case), act, backend, accum)
        hls_model, config = convert(model, job)
        y_numpy, reason = numpy_predict(hls_model, x)
        assert reason is None, reason
        hls_model.compile()
        y_hls = np.asarray(hls_model.predict(x), dtype=np.float64).reshape(len(x), -1)
        out[case] = dict(model=model, hls=hls_model, config=config, job=job, x=x, y_numpy=y_numpy, y_hls=y_hls,
                         y_keras=keras_reference(model, x, None))
    return out


@pytest.mark.parametrize("case", sorted(COMPILED))
def test_numpy_emulator_matches_compiled_hls4ml_bit_for_bit(compiled, case):
    c = compiled[case]
    assert np.array_equal(c["y_numpy"], c["y_hls"]), np.abs(c["y_numpy"] - c["y_hls"]).max()
    pool = c["hls"].graph["pool"]
    assert pool.class_name == "GlobalSumPooling1D"
    assert "global_sum_pooling1d" in pool.get_attr("function_cpp")
    project = c["hls"].config.get_output_dir()
    assert os.path.exists(os.path.join(project, "firmware", "nnet_utils", "nnet_sum_pooling.h"))


def test_sum_precisions_come_from_the_design(compiled):
    """accum = result = the ReLU type + clog2(items) integer bits + a sign bit; an override sets the accumulator."""
    source = activation_type(LayerQuant(8, 1, 8, 3))
    derived = pool_types("sum", source, ITEMS)[0]
    sane = compiled["vitis-sane"]["hls"].graph["pool"]
    assert from_hls(sane.types["accum_t"].precision) == derived
    assert from_hls(sane.types["result_t"].precision) == derived
    assert derived.hls() == "fixed<12,7>"
    starved = compiled["vivado-starved"]["hls"].graph["pool"]
    assert from_hls(starved.types["accum_t"].precision) == parse_precision("fixed<6,3>")
    assert from_hls(starved.types["result_t"].precision) == derived


def test_sane_precision_is_within_resolution_of_keras(compiled):
    c = compiled["vitis-sane"]
    lsb = 2.0 ** -activation_type(LayerQuant(8, 1, 8, 3)).fractional
    assert np.abs(c["y_keras"] - c["y_numpy"]).max() <= lsb


def test_starved_accumulator_overflows(compiled):
    sane, starved = compiled["vitis-sane"], compiled["vivado-starved"]
    assert np.abs(starved["y_keras"] - starved["y_numpy"]).max() > 1.0
    assert np.abs(starved["y_keras"] - starved["y_numpy"]).mean() > 100 * max(
        np.abs(sane["y_keras"] - sane["y_numpy"]).mean(), 2.0 ** -8)


def test_analytic_estimate_and_profile_read_the_sum(compiled):
    from hls_workers.estimate.hls_graph import layer_specs
    from hls_workers.profiling import layer_profile

    c = compiled["vitis-sane"]
    specs, notes = layer_specs(c["hls"])
    pool = next(s for s in specs if s.name == "pool")
    assert (pool.kind, pool.pool_items, pool.n_out, pool.accum_bits) == ("pool_sum", ITEMS, 4, 12)
    assert not [n for n in notes if n.startswith("pool")]
    profile = {r["layer"]: r for r in layer_profile(c["hls"], c["model"], c["x"])}
    assert profile["pool"]["activation"]["type"].startswith("fixed<12,7")
    assert profile["pool"]["activation"]["overflow_fraction"] == 0.0


def test_register_twice_and_convert_twice(tmp_path, monkeypatch, compiled):
    """register() is idempotent; a saved model loads through load_keras_model and converts again."""
    from hls_workers.emulate import convert, load_keras_model, numpy_predict
    from hls_workers.extensions import sum_pooling

    sum_pooling.register()
    sum_pooling.register()
    monkeypatch.setattr(sum_pooling, "_hls_layer_class", None)  # as after a re-import: hls4ml keeps its registries
    sum_pooling.register()
    assert sum_pooling.hls_layer_class() is compiled["vitis-sane"]["hls"].graph["pool"].__class__.__bases__[0]
    c = compiled["vitis-sane"]
    c["model"].save(tmp_path / "model.h5", include_optimizer=False)
    loaded = load_keras_model(str(tmp_path / "model.h5"))
    assert type(loaded.get_layer("pool")).__name__ == "GlobalSumPooling1D"
    for run in range(2):
        job = _job(tmp_path / f"run{run}", (8, 3))
        hls_model, config = convert(loaded, job)
        assert config["LayerName"]["pool"]["Precision"] == c["config"]["LayerName"]["pool"]["Precision"]
        y, reason = numpy_predict(hls_model, c["x"])
        assert reason is None and np.array_equal(y, c["y_numpy"])


def test_hardware_job_of_a_saved_sum_model(tmp_path, compiled):
    """The trial's hardware stage: load the saved model, convert, estimate, profile, emulate with numpy."""
    from dataclasses import replace

    from hls_workers.emulate import run_hardware_job

    c = compiled["vitis-sane"]
    c["model"].save(tmp_path / "model.h5", include_optimizer=False)
    np.save(tmp_path / "x.npy", c["x"])
    job = replace(c["job"], model_path=str(tmp_path / "model.h5"), x_path=str(tmp_path / "x.npy"),
                  output_dir=str(tmp_path))
    result = run_hardware_job(job)
    assert result.emulator_used == "numpy" and result.fallback_reason is None
    assert np.array_equal(np.load(result.y_path), c["y_hls"])
    assert result.layer_precisions["pool"]["accum_t"].startswith("fixed<12,7")
    assert result.resources["values"]["lut"] > 0
    assert not [n for n in result.resources.get("notes", []) if "pool" in n and "not modelled" in n]
    assert "pool" in [r["layer"] for r in result.profile]


# ---------------------------------------------------------------- padded items

@pytest.mark.parametrize("pad_value", [0.0, -6.0])  # the jets' zero padding, the calorimeter users' -6
def test_padded_items_add_phi_of_the_pad_row(pad_value):
    """Every item is summed, padded ones too: sum(padded) = sum over real items + n_pad × phi(pad)."""
    import tensorflow as tf

    model = _model((8, 3), seed=4)
    kernel, _ = model.get_layer("phi_0").get_weights()
    model.get_layer("phi_0").set_weights([kernel, np.full(4, 0.5)])  # phi(0) = relu(bias) = 0.5 per feature
    probe = tf.keras.Model(model.inputs, [model.get_layer("phi_0_act").output, model.get_layer("pool").output])
    x = _inputs(20, seed=5).astype(np.float64)
    pad = np.full(FEATURES, pad_value)
    n_real = np.random.default_rng(6).integers(1, ITEMS, len(x))
    for i, n in enumerate(n_real):
        x[i, n:] = pad
    phi, pooled = (np.asarray(v, dtype=np.float64) for v in probe(x.astype(np.float32), training=False))
    phi_pad = np.asarray(probe(np.tile(pad, (1, ITEMS, 1)).astype(np.float32))[0])[0, 0]
    if pad_value == 0.0:
        assert np.all(phi_pad == 0.5)  # phi(pad) is not zero: padded items leak into the sum
    for i, n in enumerate(n_real):
        expected = phi[i, :n].sum(axis=0) + (ITEMS - n) * phi_pad
        np.testing.assert_allclose(pooled[i], expected, atol=1e-5)
