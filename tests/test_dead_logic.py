"""Constant and unused elements of pruned MLPs (hls_workers/estimate/dead_logic.py): pure logic on small
kernels, then the recorded ReLU instance tables of pruned public runs (docs/estimate_residuals.md)."""

from __future__ import annotations

import numpy as np
import pytest

from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import LayerSpec, for_backend, layer_cost
from hls_workers.estimate.dead_logic import mark_dead_logic


def _dense(name: str, codes: np.ndarray, rf: int = 1) -> LayerSpec:
    n_in, n_out = codes.shape
    return LayerSpec(name, "dense", n_in, n_out, input_bits=16, weight_bits=8, accum_bits=24, result_bits=16,
                     reuse_factor=rf, codes=codes)


def _relu(name: str, n: int) -> LayerSpec:
    return LayerSpec(name, "relu", n, n, input_bits=16, result_bits=16)


def _wired(*specs: LayerSpec) -> list[LayerSpec]:
    """One chain: each spec reads the tensor the one before it writes (the first reads the input)."""
    previous = "input"
    for spec in specs:
        spec.inputs, spec.output = (previous,), spec.name
        previous = spec.name
    return list(specs)


def _mlp() -> list[LayerSpec]:
    """4 -> 6 -> 3: output 0 of fc1 has no weight (its bias: a constant); row 5 of fc2 is all zero (unused)."""
    fc1 = np.full((4, 6), 11)
    fc1[:, 0] = 0
    fc2 = np.full((6, 3), 13)
    fc2[5, :] = 0
    return _wired(_dense("fc1", fc1), _relu("relu1", 6), _dense("fc2", fc2))


def test_constant_and_unused_elements_are_removed():
    specs = _mlp()
    notes = mark_dead_logic(specs)
    fc1, relu1, fc2 = specs
    assert relu1.active_elements == 4  # 6 outputs minus the constant one and the unused one
    # fc1: the 4 products of the unused output go; fc2: the 3 products of the constant input fold into its bias
    assert fc1.removed.sum() == 4 and fc1.removed[:, 5].all()
    assert fc2.removed.sum() == 3 and fc2.removed[0, :].all()
    assert len(notes) == 3 and all("removed by the HLS tool" in n for n in notes)


def test_removal_propagates_along_the_chain():
    """An fc2 output that only reads a constant becomes a constant itself; fc3's products on it fold away."""
    fc1 = np.full((2, 3), 9)
    fc1[:, 0] = 0  # output 0 constant
    fc2 = np.zeros((3, 2), dtype=np.int64)
    fc2[0, 0] = 7  # fc2 output 0 reads only the constant
    fc2[1:, 1] = 7
    fc3 = np.full((2, 2), 5)
    specs = _wired(_dense("fc1", fc1), _relu("r1", 3), _dense("fc2", fc2), _relu("r2", 2), _dense("fc3", fc3))
    mark_dead_logic(specs)
    assert specs[3].active_elements == 1
    assert specs[4].removed[0, :].all() and not specs[4].removed[1, :].any()


def test_unpruned_network_is_untouched():
    specs = _wired(_dense("fc1", np.full((4, 6), 11)), _relu("relu1", 6), _dense("fc2", np.full((6, 3), 13)))
    assert mark_dead_logic(specs) == []
    assert specs[1].active_elements is None and specs[0].removed is None and specs[2].removed is None


def test_removed_products_cost_nothing_but_keep_hls4mls_multiplier_limit():
    """The tool drops the products; hls4ml already fixed the multiplier limit from the weights it wrote."""
    coeffs = for_backend(load_coefficients("7series"), "vivado", 0.125)
    codes = np.full((16, 8), 11)  # 3 CSD digits: every product is a multiplication
    full = _dense("fc", codes, rf=8)
    pruned = _dense("fc", codes, rf=8)
    pruned.removed = np.zeros_like(codes, dtype=bool)
    pruned.removed[:, 4:] = True
    a, b = layer_cost(full, coeffs, 25.0), layer_cost(pruned, coeffs, 25.0)
    assert a.detail["multiplier_limit"] == b.detail["multiplier_limit"] == 16
    assert b.detail["multiplications"] == 64 < a.detail["multiplications"] == 128
    assert b.lut < a.lut and b.cycles < a.cycles


def test_relu_cost_follows_the_active_elements():
    coeffs = for_backend(load_coefficients("7series"), "vivado", 0.125)
    relu = _relu("relu", 128)
    whole = layer_cost(relu, coeffs, 5.0).lut
    relu.active_elements = 51
    assert layer_cost(relu, coeffs, 5.0).lut == pytest.approx(whole * 51 / 128)


@pytest.mark.parametrize("design", ["mlp/pominiq_slp_rf8_pruned", "mlp/pominiq_dummy_rf16_pruned",
                                    "mlp/hector_model_3_pynq", "tutorial/hector_model_3_9f451d8",
                                    "mlp/lrozzy_openml_jet_pruned", "mlp/duchstf_tau_two_heads"])
def test_reported_relu_instances_scale_with_the_active_elements(tmp_path, design):
    """Each pruned run's ReLU instances report the same LUT per element built (28 at 16 bits for pominiq; 81 and
    72 for hector's saturating 6-bit casts on 7-series and UltraScale+; 38 for Vitis HLS 2024.1 at 16 bits; 73
    for the two-head tau network, whose last ReLU keeps the 7 outputs either head reads), counted by the
    dead-logic pass."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import estimate_residuals as er

    r = er.residual(design, str(tmp_path))
    active = sorted(layer["elements"] for layer in r.layers if layer["kind"] == "relu")
    reported = sorted(i["lut"] for i in r.report_instances if "relu" in i["module"].lower())
    assert len(active) == len(reported) and min(active) > 0
    per_element = {lut / n for lut, n in zip(reported, active)}
    assert len(per_element) == 1, (reported, active)
    if design.startswith("mlp/pominiq"):  # one ReLU layer: anchor it on the unpruned RF 1 run of the same network
        unpruned = er.residual("mlp/pominiq_dummy_rf1", str(tmp_path / "rf1"))
        relu = [i["lut"] for i in unpruned.report_instances if "relu" in i["module"].lower()]
        assert per_element == {relu[0] / 128}, (reported, active)


def test_chain_stops_at_a_layer_the_model_does_not_know():
    """A layer between the two dense layers that the cost model skips (counted as free) may mix elements: the
    constant and unused outputs are not followed across it."""
    specs = _mlp()
    specs[2].inputs = ("unmodelled",)  # fc2 reads the unmodelled layer, which reads relu1
    mark_dead_logic(specs, {"relu1"})
    assert specs[2].removed is None and specs[1].active_elements == 5  # only fc1's own constant output
    assert specs[0].removed is None


def _two_heads(tmp_path):
    """16 -> fc1 (8, output 0 constant) -> relu -> head_a (rows 1-3 zero) and head_b (row 3 zero), converted
    by hls4ml: the tensor relu1 has two readers."""
    import hls4ml
    import tensorflow as tf

    inputs = tf.keras.Input((16,), name="input_1")
    hidden = tf.keras.layers.Activation("relu", name="relu1")(tf.keras.layers.Dense(8, name="fc1")(inputs))
    head_a = tf.keras.layers.Dense(2, name="head_a")(hidden)
    head_b = tf.keras.layers.Dense(1, name="head_b")(hidden)
    model = tf.keras.Model(inputs, [head_a, head_b])
    rng = np.random.default_rng(1)
    fc1 = rng.choice([-0.75, 0.625, 0.8125], size=(16, 8)).astype("f4")
    fc1[:, 0] = 0
    model.get_layer("fc1").set_weights([fc1, np.full(8, 0.25, "f4")])
    a = rng.choice([0.6875, -0.8125], size=(8, 2)).astype("f4")
    a[1:4, :] = 0
    model.get_layer("head_a").set_weights([a, np.zeros(2, "f4")])
    b = rng.choice([0.6875, -0.8125], size=(8, 1)).astype("f4")
    b[3, :] = 0  # output 3 of relu1 is read by neither head
    model.get_layer("head_b").set_weights([b, np.zeros(1, "f4")])
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis",
                                                  default_precision="ap_fixed<16,6>")
    return hls4ml.converters.convert_from_keras_model(model, hls_config=config, output_dir=str(tmp_path / "prj"),
                                                      backend="Vitis", part="xcu250-figd2104-2L-e",
                                                      io_type="io_parallel")


def test_a_tensor_read_by_two_heads_keeps_the_elements_either_reads(tmp_path):
    """head_a ignores relu1 outputs 1-3, head_b only output 3: the constant output 0 and output 3 go (6 left);
    outputs 1 and 2, read by head_b, stay; both heads fold the constant into their bias."""
    from hls_workers.estimate.hls_graph import layer_specs

    specs, notes = layer_specs(_two_heads(tmp_path))
    by_name = {spec.name: spec for spec in specs}
    assert by_name["relu1"].active_elements == 6
    assert np.flatnonzero(by_name["fc1"].removed.any(axis=0)).tolist() == [3]
    for head in ("head_a", "head_b"):
        assert np.flatnonzero(by_name[head].removed.any(axis=1)).tolist() == [0]
    assert by_name["relu1"].inputs == ("fc1",) and by_name["head_a"].inputs == ("relu1",)
