"""Fixed-point types and the hls4ml configuration derived from a design (no training, no HLS compile)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from hls_workers.fixed_point import FixedType, PrecisionError, parse_precision
from hls_workers.hls_config import activation_type, average_pool_types, build_hls_config, weight_type
from hls_workers.records import HardwareJob, HlsSettings, LayerQuant

# ---------------------------------------------------------------- helpers: exact fixed-point grids


def code_range(t: FixedType) -> tuple[int, int]:
    """Smallest and largest integer code of ``t`` (value = code * 2**-fractional)."""
    if t.signed:
        return -(1 << (t.width - 1)), (1 << (t.width - 1)) - 1
    return 0, (1 << t.width) - 1


def representable(t: FixedType, value: Fraction) -> bool:
    code = value * (Fraction(2) ** t.fractional)
    low, high = code_range(t)
    return code.denominator == 1 and low <= code <= high


def rnd_conv_sat(t: FixedType, x: float) -> Fraction:
    """Reference ``ap_ufixed``/``ap_fixed`` quantization with RND_CONV (half to even) and SAT."""
    code = Fraction(x) * (Fraction(2) ** t.fractional)
    floor = math.floor(code)
    rest = code - floor
    rounded = floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2) else 0)
    low, high = code_range(t)
    return Fraction(min(max(rounded, low), high)) / (Fraction(2) ** t.fractional)


# ---------------------------------------------------------------- parse_precision / FixedType


@pytest.mark.parametrize("text, expected", [
    ("ap_fixed<16,6>", FixedType(16, 6, True, "TRN", "WRAP")),
    ("fixed<12,4,RND,SAT>", FixedType(12, 4, True, "RND", "SAT")),
    ("ap_fixed<12,4,RND,SAT>", FixedType(12, 4, True, "RND", "SAT")),
    ("ap_ufixed<8,3>", FixedType(8, 3, False, "TRN", "WRAP")),
    ("ufixed<8,3,RND_CONV,SAT>", FixedType(8, 3, False, "RND_CONV", "SAT")),
    (" ap_fixed < 10 , 2 , RND_ZERO > ", FixedType(10, 2, True, "RND_ZERO", "WRAP")),
    ("fixed<18,8,TRN,WRAP,0>", FixedType(18, 8, True, "TRN", "WRAP")),  # as hls4ml prints its own types
    ("ap_fixed<8,8>", FixedType(8, 8)),
    ("ap_fixed<6,-2>", FixedType(6, -2)),
])
def test_parse_precision_accepts(text, expected):
    parsed = parse_precision(text)
    assert parsed == expected
    assert parsed.fractional == expected.width - expected.integer


@pytest.mark.parametrize("text", [
    "garbage", "", "float", "ap_int<8>", "ap_fixed<16>", "ap_fixed<4,6>", "fixed<0,0>",
    "ap_fixed<8,3,RND,CLIP>", "ap_fixed<8,3,ROUND>", "ap_fixed<8,3,SAT>", "ap_fixed<8,3,rnd,sat>",
    "ap_fixed<8,3>>", "ap_fixed(8,3)",
])
def test_parse_precision_rejects(text):
    with pytest.raises(PrecisionError) as info:
        parse_precision(text)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("t", [
    FixedType(16, 6), FixedType(12, 4, True, "RND", "SAT"), FixedType(8, 3, False),
    FixedType(7, 2, False, "RND_CONV", "SAT"), FixedType(9, 0, True, "TRN", "SAT"),
    FixedType(5, 5, True, "RND", "WRAP"), FixedType(6, -1), FixedType(20, 10, False, "RND_INF", "SAT_SYM"),
])
def test_fixed_type_hls_round_trips(t):
    text = t.hls()
    assert parse_precision(text) == t
    assert parse_precision("ap_" + text) == t
    assert str(t) == text
    assert text.startswith("fixed<" if t.signed else "ufixed<")


def test_hls_short_form_only_for_default_modes():
    assert FixedType(16, 6).hls() == "fixed<16,6>"
    assert "TRN" in FixedType(16, 6, overflow="SAT").hls()
    assert "WRAP" in FixedType(16, 6, rounding="RND").hls()


# ---------------------------------------------------------------- weight and activation types


@pytest.mark.parametrize("bits, integer", [(2, 0), (4, 0), (6, 1), (8, 3), (8, 7), (16, 6)])
def test_weight_type_qat_and_ptq(bits, integer):
    quant = LayerQuant(bits, integer, 8, 3)
    qat, ptq = weight_type(quant, "qat"), weight_type(quant, "ptq")
    for t in (qat, ptq):
        assert t.signed and t.width == bits and t.integer == integer + 1  # + sign bit
    assert (qat.rounding, qat.overflow) == ("TRN", "WRAP")  # QAT weights are on the grid already
    assert (ptq.rounding, ptq.overflow) == ("RND_CONV", "SAT")  # float weights are rounded and clipped


@pytest.mark.parametrize("bits, integer", [(4, 0), (6, 1), (8, 3)])
def test_weight_type_holds_qkeras_quantized_bits(bits, integer):
    """Every value ``quantized_bits(bits, integer, alpha=1)`` produces is representable, both ends are hit."""
    from qkeras import quantized_bits

    t = weight_type(LayerQuant(bits, integer, 8, 3), "qat")
    x = np.linspace(-2.0 ** (integer + 2), 2.0 ** (integer + 2), 4001).astype(np.float32)
    values = {Fraction(float(v)) for v in np.asarray(quantized_bits(bits, integer, alpha=1)(x))}
    assert all(representable(t, v) for v in values)
    low, high = code_range(t)
    scale = Fraction(2) ** t.fractional
    assert min(values) == low / scale and max(values) == high / scale


@pytest.mark.parametrize("bits, integer", [(1, 0), (4, 2), (6, 0), (8, 3), (10, 4), (6, 6)])
def test_activation_type(bits, integer):
    t = activation_type(LayerQuant(8, 0, bits, integer))
    assert t == FixedType(bits, integer, signed=False, rounding="RND_CONV", overflow="SAT")


@pytest.mark.parametrize("bits, integer", [(4, 2), (6, 0), (8, 3)])
def test_activation_type_matches_qkeras_quantized_relu(bits, integer):
    """quantized_relu rounds half to even and clips: exactly RND_CONV/SAT into the derived ufixed type."""
    from qkeras import quantized_relu

    t = activation_type(LayerQuant(8, 0, bits, integer))
    lsb = 2.0 ** -t.fractional
    top = 2.0 ** integer
    # grid points, exact half-way points (the rounding mode shows) and values beyond both ends
    x = np.concatenate([np.arange(-4, int(top / lsb) + 8) * lsb, (np.arange(-2, int(top / lsb) + 4) + 0.5) * lsb,
                        np.linspace(-3 * top, 3 * top, 301)]).astype(np.float32)
    y = np.asarray(quantized_relu(bits, integer)(x))
    for xi, yi in zip(x, y):
        assert Fraction(float(yi)) == rnd_conv_sat(t, float(xi)), (xi, yi)


# ---------------------------------------------------------------- average pooling types (brute force)

SOURCES = [
    FixedType(8, 3, signed=False), FixedType(6, 0, signed=False), FixedType(7, 2, signed=False),
    FixedType(1, 1, signed=False), FixedType(4, 4, signed=False), FixedType(10, 6, signed=False),
    FixedType(8, 3), FixedType(12, 4), FixedType(16, 6), FixedType(2, 1), FixedType(6, -1), FixedType(5, 5),
]
N_ITEMS = [2, 3, 8, 16, 32, 5, 150]


def _draws(source: FixedType, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random codes of ``source`` (rows of n values) plus the extreme rows."""
    low, high = code_range(source)
    rows = [np.full(n, low), np.full(n, high), np.resize([low, high], n), np.resize([high, low], n),
            np.full(n, low + 1), np.full(n, high - 1), np.full(n, 1), np.full(n, -1 if source.signed else 1)]
    rows = [np.clip(r, low, high) for r in rows]
    random = rng.integers(low, high + 1, size=(300, n))
    extremes = rng.choice([low, high], size=(100, n))
    return np.concatenate([np.stack(rows), random, extremes]).astype(np.int64)


@pytest.mark.parametrize("n", N_ITEMS)
@pytest.mark.parametrize("source", SOURCES, ids=[s.hls() for s in SOURCES])
def test_average_pool_types_lose_nothing(source, n):
    accum, result = average_pool_types(source, n)
    rng = np.random.default_rng(source.width * 1000 + source.integer * 10 + n + source.signed)
    codes = _draws(source, n, rng)

    # the accumulator holds every source value exactly (at least as many fractional bits)
    shift = accum.fractional - source.fractional
    assert shift >= 0
    acc_low, acc_high = code_range(accum)
    # every partial sum fits the accumulator (no wrap while adding)
    partial = np.cumsum(codes, axis=1) << shift
    assert partial.min() >= acc_low and partial.max() <= acc_high, (accum, partial.min(), partial.max())
    sums = partial[:, -1]

    # ``y /= length`` in the accumulator type: the quotient keeps accum's fractional bits
    # (truncated towards zero as in C, or towards -inf: both must stay within one LSB of the true mean)
    floor_q = sums // n
    trunc_q = np.where(sums < 0, -((-sums) // n), sums // n)
    res_low, res_high = code_range(result)
    assert result.fractional >= accum.fractional  # accum -> result conversion drops no fractional bit
    res_shift = result.fractional - accum.fractional
    power_of_two = n & (n - 1) == 0
    for q in (floor_q, trunc_q):
        assert q.min() >= acc_low and q.max() <= acc_high
        error = sums - q * n  # (true mean - quotient) in units of accum LSB / n
        assert np.all(np.abs(error) < n)  # within one LSB
        if power_of_two:
            assert np.all(error == 0)  # the mean of 2^k values is exact
        assert (q << res_shift).min() >= res_low and (q << res_shift).max() <= res_high

    # cross-check a few rows with exact rationals, independent of the integer bookkeeping above
    for row in codes[:8]:
        values = [Fraction(int(c)) / (Fraction(2) ** source.fractional) for c in row]
        mean = sum(values, Fraction(0)) / n
        assert representable(accum, sum(values, Fraction(0)))
        if power_of_two:
            assert representable(result, mean)
            assert representable(accum, mean)
        else:
            lsb = Fraction(1) / (Fraction(2) ** accum.fractional)
            nearest_down = Fraction(math.floor(mean / lsb)) * lsb
            assert representable(result, nearest_down) and mean - nearest_down < lsb


# ---------------------------------------------------------------- build_hls_config on tiny untrained models

LQ_DEEPSETS = {
    "phi_0": LayerQuant(6, 0, 8, 3),
    "phi_1": LayerQuant(8, 1, 7, 2),
    "rho_0": LayerQuant(4, 0, 6, 2),
    "output": LayerQuant(10, 2, 9, 4),
}
INPUT_SHAPE = (8, 3)


def _deepsets(aggregation: str, quantization: str, rho: list[int] | None = None):
    from sweep.design import Design
    from sweep.models import get_family

    rho = [4] if rho is None else rho
    quant = {k: v for k, v in LQ_DEEPSETS.items() if k.startswith("phi") or k == "output" or
             (k.startswith("rho") and int(k.split("_")[1]) < len(rho))}
    design = Design("deepsets", {"phi": [4, 5], "rho": rho, "aggregation": aggregation}, quant,
                    quantization=quantization)
    return get_family("deepsets").build(design, INPUT_SHAPE, 5, "classification"), design


@pytest.fixture(scope="module")
def models():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return {
        "qat-mean": _deepsets("mean", "qat"),
        "ptq-max": _deepsets("max", "ptq"),
        "qat-mean-no-rho": _deepsets("mean", "qat", rho=[]),
    }


def _job(design, **settings_and_job) -> HardwareJob:
    job_keys = {"reuse_factor", "strategy", "float_precision"}
    job_kwargs = {k: v for k, v in settings_and_job.items() if k in job_keys}
    settings = HlsSettings(**{k: v for k, v in settings_and_job.items() if k not in job_keys})
    return HardwareJob("model.h5", "x.npy", "out", design.quantization, design.layer_quant, settings, **job_kwargs)


def test_build_hls_config_qat_mean(models):
    model, design = models["qat-mean"]
    job = _job(design, input_precision="ap_fixed<10,3,RND,SAT>", softmax="skip", reuse_factor=4,
               strategy="resource")
    config = build_hls_config(model, job)
    layers = config["LayerName"]

    assert config["Model"]["ReuseFactor"] == 4
    assert config["Model"]["Strategy"] == "Resource"
    assert layers["constituents"]["Precision"]["result"] == parse_precision("ap_fixed<10,3,RND,SAT>").hls()

    for name, quant in design.layer_quant.items():
        precision = layers[name]["Precision"]
        expected = weight_type(quant, "qat").hls()
        assert precision["weight"] == expected and precision["bias"] == expected, name
        assert layers[name]["ReuseFactor"] == 4 and layers[name]["Strategy"] == "Resource"
        if name != "output":
            assert layers[f"{name}_act"]["Precision"]["result"] == activation_type(quant).hls()

    accum, result = average_pool_types(activation_type(design.layer_quant["phi_1"]), INPUT_SHAPE[0])
    assert layers["pool"]["Precision"]["accum"] == accum.hls()
    assert layers["pool"]["Precision"]["result"] == result.hls()
    assert layers["output_softmax"]["Skip"] is True


def test_build_hls_config_softmax_emulate_and_latency(models):
    model, design = models["qat-mean"]
    config = build_hls_config(model, _job(design, softmax="emulate", reuse_factor=1, strategy="latency"))
    assert config["LayerName"]["output_softmax"]["Skip"] is False
    assert config["Model"]["Strategy"] == "Latency" and config["Model"]["ReuseFactor"] == 1
    assert all(config["LayerName"][n]["Strategy"] == "Latency" for n in design.layer_quant)


def test_build_hls_config_pool_counts_the_models_constituents():
    """The pool's set size is read from the model it converts (32 here), not from anything passed beside it."""
    from sweep.design import Design
    from sweep.models import get_family

    _, design = _deepsets("mean", "qat")
    model = get_family("deepsets").build(design, (32, 3), 5, "classification")
    config = build_hls_config(model, _job(design))
    accum, result = average_pool_types(activation_type(design.layer_quant["phi_1"]), 32)
    assert config["LayerName"]["pool"]["Precision"] == {**config["LayerName"]["pool"]["Precision"],
                                                        "accum": accum.hls(), "result": result.hls()}
    assert accum != average_pool_types(activation_type(design.layer_quant["phi_1"]), INPUT_SHAPE[0])[0]


def test_build_hls_config_pool_accum_override(models):
    model, design = models["qat-mean"]
    config = build_hls_config(model, _job(design, pool_accum_precision="ap_fixed<24,12,RND,SAT>"))
    pool = config["LayerName"]["pool"]["Precision"]
    assert pool["accum"] == parse_precision("ap_fixed<24,12,RND,SAT>").hls()
    _, result = average_pool_types(activation_type(design.layer_quant["phi_1"]), INPUT_SHAPE[0])
    assert pool["result"] == result.hls()


def test_build_hls_config_ptq_max(models):
    model, design = models["ptq-max"]
    config = build_hls_config(model, _job(design))
    layers = config["LayerName"]
    for name, quant in design.layer_quant.items():
        assert layers[name]["Precision"]["weight"] == weight_type(quant, "ptq").hls()
        assert layers[name]["Precision"]["bias"] == weight_type(quant, "ptq").hls()
    source = activation_type(design.layer_quant["phi_1"]).hls()
    assert layers["pool"]["Precision"]["result"] == source
    assert layers["pool"]["Precision"]["accum"] == source
    assert layers["phi_0_act"]["Precision"]["result"] == activation_type(design.layer_quant["phi_0"]).hls()


def test_build_hls_config_pool_without_rho(models):
    model, design = models["qat-mean-no-rho"]
    config = build_hls_config(model, _job(design))
    accum, result = average_pool_types(activation_type(design.layer_quant["phi_1"]), INPUT_SHAPE[0])
    assert config["LayerName"]["pool"]["Precision"]["accum"] == accum.hls()
    assert config["LayerName"]["pool"]["Precision"]["result"] == result.hls()
    assert "rho_0" not in config["LayerName"]


def test_hls4ml_applies_the_config(models, tmp_path):
    """Converting (no write, no compile) gives every layer exactly the configured types."""
    import hls4ml

    model, design = models["qat-mean"]
    job = _job(design, input_precision="ap_fixed<11,5,RND,SAT>")
    config = build_hls_config(model, job)
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(tmp_path / "prj"), backend="Vitis", io_type="io_parallel")
    types = {layer.name: {k: parse_precision(str(v.precision)) for k, v in layer.types.items()
                          if "fixed<" in str(v.precision)}  # index_t is uint<…>
             for layer in hls_model.get_layers()}
    assert types["constituents"]["result_t"] == parse_precision("ap_fixed<11,5,RND,SAT>")
    for name, quant in design.layer_quant.items():
        assert types[name]["weight_t"] == weight_type(quant, "qat"), name
        assert types[name]["bias_t"] == weight_type(quant, "qat"), name
        if name != "output":
            assert types[f"{name}_act"]["result_t"] == activation_type(quant), name
    accum, result = average_pool_types(activation_type(design.layer_quant["phi_1"]), INPUT_SHAPE[0])
    assert types["pool"]["accum_t"] == accum
    assert types["pool"]["result_t"] == result
    assert "output_softmax" not in types  # skipped
