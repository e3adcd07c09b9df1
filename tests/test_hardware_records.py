"""The hardware side reads a design through one record: families describe their networks, and BOPs, the
pre-training estimate and the hls4ml configuration derive the same widths from it."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hls_workers.fixed_point import FixedType, PrecisionError, from_hls, parse_precision
from hls_workers.network_cost import network_bops, pretrain_specs
from hls_workers.records import DenseRecord, LayerQuant, NetworkRecord, PoolRecord
from hls_workers.strategy import (STRATEGIES, cost_estimator, cost_model_strategy, hls4ml_strategy,
                                  supports_pooling, uses_dsp)
from hls_workers.widths import activation_type, adder_bits, average_pool_types, pool_types

ROOT = Path(__file__).resolve().parents[1]
Q = {"phi_0": LayerQuant(6, 0, 8, 3), "phi_1": LayerQuant(8, 1, 7, 2), "rho_0": LayerQuant(4, 0, 6, 2),
     "output": LayerQuant(10, 2, 9, 4), "dense_0": LayerQuant(6, 0, 8, 3), "dense_1": LayerQuant(8, 1, 7, 2)}
CASES = {
    "deepsets-mean": ("deepsets", {"phi": [4, 5], "rho": [6], "aggregation": "mean"}, (8, 3)),
    "deepsets-max-no-rho": ("deepsets", {"phi": [4, 5], "rho": [], "aggregation": "max"}, (16, 3)),
    "deepsets-sum": ("deepsets", {"phi": [4, 5], "rho": [6], "aggregation": "sum"}, (12, 3)),
    "mlp": ("mlp", {"hidden": [7, 9]}, (16,)),
}


def _record(case: str) -> tuple[NetworkRecord, dict, tuple[int, ...], str]:
    from sweep.models import get_family

    family, arch, shape = CASES[case]
    quant = {name: Q[name] for name, _, _ in get_family(family).dense_layers(arch)}
    return get_family(family).network(arch, quant, shape, 5, "classification"), quant, shape, family


@pytest.fixture(scope="module")
def built():
    """Keras models of every case (untrained: only shapes and names matter)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from sweep.design import Design
    from sweep.models import get_family

    out = {}
    for case, (family, arch, shape) in CASES.items():
        record, quant, _, _ = _record(case)
        design = Design(family, arch, quant, quantization="qat")
        out[case] = (get_family(family).build(design, shape, 5, "classification"), record, design)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_record_matches_the_built_model(built, case):
    model, record, _ = built[case]
    for layer in record.layers:
        keras = model.get_layer(layer.name)
        if isinstance(layer, DenseRecord):
            assert keras.get_weights()[0].shape == (layer.n_in, layer.n_out), layer.name
            assert (f"{layer.name}_act" in [l.name for l in model.layers]) == layer.relu
            per_item = len(keras.input_shape) == 3
            assert layer.repeats == (keras.input_shape[1] if per_item else 1), layer.name
        else:
            assert keras.input_shape[1:] == (layer.items, layer.features)
            assert type(keras).__name__ == {"mean": "GlobalAveragePooling1D", "max": "GlobalMaxPooling1D",
                                          "sum": "GlobalSumPooling1D"}[layer.op]
    assert record.dense[-1].name == "output" and not record.dense[-1].relu


@pytest.mark.parametrize("case", ["deepsets-mean", "deepsets-max-no-rho", "deepsets-sum"])
def test_pretrain_pool_widths_equal_the_hls4ml_config(built, case):
    """The pre-training estimate sizes the pooling exactly as the trial's hls4ml config sets it (sign bit included)."""
    from hls_workers.hls_config import build_hls_config
    from hls_workers.records import HardwareJob, HlsSettings

    model, record, design = built[case]
    job = HardwareJob("m.h5", "x.npy", "out", "qat", design.layer_quant, HlsSettings())
    config = build_hls_config(model, job)["LayerName"]["pool"]["Precision"]
    specs = {s.name: s for s in pretrain_specs(record, parse_precision(HlsSettings().input_precision))}
    assert specs["pool"].accum_bits == parse_precision(config["accum"]).width
    assert specs["pool"].result_bits == parse_precision(config["result"]).width
    after = next(s for s in specs.values() if s.kind == "dense" and s.name in ("rho_0", "output"))
    assert after.input_bits == parse_precision(config["result"]).width


def test_unsigned_mean_gets_a_sign_bit_everywhere():
    source = activation_type(LayerQuant(8, 0, 7, 2))
    accum, result = average_pool_types(source, 16)
    assert accum.width == source.width + 2 * 4 + 1 and result.width == source.width + 4 + 1
    assert pool_types("max", source, 16) == (source, source)
    with pytest.raises(ValueError):
        pool_types("median", source, 16)


def test_network_bops_by_hand():
    record, _, _, _ = _record("deepsets-mean")
    x = parse_precision("ap_fixed<12,4,RND,SAT>")
    pooled = average_pool_types(activation_type(Q["phi_1"]), 8)[1].width  # 7 + 3 + 1 = 11 bits
    by_hand = (8 * 3 * 4 * (12 * 6 + adder_bits(12, 6, 3))          # phi_0 on 8 constituents
               + 8 * 4 * 5 * (8 * 8 + adder_bits(8, 8, 4))          # phi_1 reads phi_0's 8-bit ReLU
               + 5 * 6 * (pooled * 4 + adder_bits(pooled, 4, 5))    # rho_0 reads the mean
               + 6 * 5 * (6 * 10 + adder_bits(6, 10, 6)))           # output reads rho_0's 6-bit ReLU
    assert pooled == 11
    assert network_bops(record, x) == by_hand
    pruned = network_bops(record, x, {"phi_0": 6})
    assert pruned == by_hand - 8 * (12 - 6) * (12 * 6 + adder_bits(12, 6, 3))


def test_adder_bits_rule():
    assert adder_bits(8, 6, 1) == 14 and adder_bits(8, 6, 2) == 15 and adder_bits(8, 6, 3) == 16
    assert adder_bits(8, 6, 64) == 20 and adder_bits(8, 6, 65) == 21


def test_strategy_mapping_is_total():
    assert STRATEGIES == ("latency", "resource", "distributed_arithmetic")
    assert [hls4ml_strategy(s) for s in STRATEGIES] == ["Latency", "Resource", "Latency"]
    assert [cost_model_strategy(s) for s in STRATEGIES] == ["latency", "resource", "latency"]
    assert [cost_estimator(s) for s in STRATEGIES] == ["estimate:analytic", "estimate:analytic", "da4ml"]
    assert [uses_dsp(s) for s in STRATEGIES] == [True, True, False]
    assert [supports_pooling(s) for s in STRATEGIES] == [True, True, False]
    assert hls4ml_strategy("Resource") == "Resource"
    with pytest.raises(ValueError, match="dataflow"):
        hls4ml_strategy("dataflow")


def test_one_precision_reader_for_hls4ml_types():
    from hls4ml.backends import get_backend
    from hls4ml.model.types import (ExponentPrecisionType, FixedPrecisionType, IntegerPrecisionType,
                                    XnorPrecisionType)

    class BackendFixed(FixedPrecisionType):  # backends hand out subclasses (APFixedPrecisionType)
        pass

    backend = get_backend("Vitis")
    for text in ("fixed<12,4,RND_CONV,SAT>", "ufixed<8,3>", "fixed<18,8,RND,SAT_SYM>"):
        precision = backend.convert_precision_string(text)
        assert from_hls(precision) == parse_precision(text)
        sub = BackendFixed(precision.width, precision.integer, precision.signed, precision.rounding_mode,
                           precision.saturation_mode)
        assert from_hls(sub) == parse_precision(text)
    assert from_hls(IntegerPrecisionType(5, signed=False)) == FixedType(5, 5, signed=False)
    for other in (XnorPrecisionType(), ExponentPrecisionType()):
        with pytest.raises(PrecisionError):
            from_hls(other)


def test_every_estimator_answers_available_with_settings():
    from hls_workers.estimate import get_estimator, registered_estimators

    for name in registered_estimators():
        estimator = get_estimator(name)
        assert list(inspect.signature(estimator.available).parameters) == ["settings"], name
        for settings in (None, {"backend": "Vivado"}):
            ok, reason = estimator.available(settings)
            assert isinstance(ok, bool) and isinstance(reason, str) and (ok or reason), name


def test_adding_a_family_or_an_estimator_is_adding_one_file(tmp_path):
    """Copies of the packages with one new file each find both without any other edit."""
    for package in ("sweep", "hls_workers"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "sweep" / "models" / "tiny_family.py").write_text(
        "from sweep.models.base import ModelFamily, register_family\n\n"
        "@register_family\nclass Tiny(ModelFamily):\n    name = 'tiny'\n    representation = 'hlf'\n    params = ()\n"
        "    def sample_architecture(self, sample):\n        return {}\n"
        "    def dense_layers(self, architecture):\n        return [('output', 0, False)]\n"
        "    def network(self, architecture, layer_quant, input_shape, n_outputs, task):\n        raise NotImplementedError\n")
    (tmp_path / "hls_workers" / "estimate" / "tiny_estimator.py").write_text(
        "from hls_workers.estimate.base import Estimator, ResourceEstimate, register_estimator\n\n"
        "@register_estimator('estimate:tiny')\nclass Tiny(Estimator):\n    name = 'estimate:tiny'\n"
        "    def estimate(self, hls_model_or_design, settings=None):\n        return ResourceEstimate()\n")
    code = ("from sweep.models import registered_families; from hls_workers.estimate import registered_estimators; "
            "print(registered_families()); print(registered_estimators())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=True).stdout.splitlines()
    assert "'tiny'" in out[0] and "'deepsets'" in out[0] and "'mlp'" in out[0]
    assert "'estimate:tiny'" in out[1] and "'da4ml'" in out[1]
