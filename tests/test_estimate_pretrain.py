"""estimate:pretrain: design-only estimate, fast, no TensorFlow/hls4ml."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hls_workers.estimate import estimate_design, get_estimator

MLP = [(16, 64), (64, 32), (32, 32), (32, 5)]


def test_no_tensorflow_or_hls4ml_import():
    code = ("import sys; from hls_workers.estimate.pretrain import estimate_design; "
            "estimate_design([(16, 64), (64, 5)], 8); "
            "bad = [m for m in ('tensorflow', 'hls4ml', 'qkeras', 'da4ml', 'numba') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_backend_sets_uncertainty_and_lut_scale():
    """Vitis schedules against 27 % clock uncertainty (more cycles) and reports ~10 % more LUTs than Vivado HLS."""
    vitis = estimate_design(MLP, 16, backend="vitis")
    vivado = estimate_design(MLP, 16, backend="Vivado")
    assert vitis.lut.value > vivado.lut.value
    assert vitis.latency_cycles.value >= vivado.latency_cycles.value
    assert vitis.dsp.value == vivado.dsp.value


def test_parse_uncertainty():
    from hls_workers.estimate.analytic import parse_uncertainty

    assert parse_uncertainty("27%") == pytest.approx(0.27)
    assert parse_uncertainty("12.5%") == pytest.approx(0.125)
    assert parse_uncertainty(0.2) == pytest.approx(0.2)
    assert parse_uncertainty(None) is None and parse_uncertainty("fast") is None


def test_sources_and_keys():
    est = estimate_design(MLP, 16, part="xcu250", clock=5.0)
    flat = est.to_dict()
    for key in ("lut", "dsp", "ff", "bram_18k", "latency_cycles", "latency_ns", "ii"):
        assert flat[f"{key}_source"] == "estimate:pretrain"
        assert flat[key] is not None
    assert flat["latency_ns"] == flat["latency_cycles"] * 5.0


def test_monotonic():
    base = estimate_design(MLP, 16)
    assert estimate_design(MLP, 16, sparsity=0.75).dsp.value < base.dsp.value
    assert estimate_design(MLP, 6).dsp.value < base.dsp.value
    rf2 = estimate_design(MLP, 16, reuse_factor=2, strategy="resource")
    rf1 = estimate_design(MLP, 16, strategy="resource")
    assert rf2.dsp.value < rf1.dsp.value and rf2.latency_cycles.value > rf1.latency_cycles.value


def test_pretrain_bounds_dsp_of_full_width_design():
    # full-width assumption: every nonzero 16-bit weight is a DSP, so it bounds the trained estimate from above
    assert estimate_design(MLP, 16).dsp.value == 16 * 64 + 64 * 32 + 32 * 32 + 32 * 5


def test_deepsets_with_pool_and_layer_quant():
    from hls_workers.records import LayerQuant

    q = LayerQuant(6, 0, 8, 3)
    shapes = [(3, 32, 16), (32, 32, 16), {"pool": "mean", "items": 16, "features": 32}, (32, 32), (32, 5)]
    est = estimate_design(shapes, [q, q, q, q], sparsity=0.5, reuse_factor=2, input_bits=12, part="xcvu13p")
    kinds = [layer["kind"] for layer in est.per_layer]
    assert "pool_avg" in kinds
    phi = est.per_layer[0]
    assert phi.get("copies") == 16


def test_registry_face_and_bad_input():
    est = get_estimator("pretrain").estimate({"layer_shapes": MLP, "bits": 8}, {"part": "xc7z020", "clock_period_ns": 10})
    assert est.latency_ns.value == est.latency_cycles.value * 10
    with pytest.raises(ValueError):
        estimate_design(MLP, 8, strategy="dataflow")
    with pytest.raises(ValueError):
        estimate_design(MLP, [8, 8])
    with pytest.raises(ValueError, match="unknown FPGA part"):
        estimate_design(MLP, 8, part="nope")


def test_wide_weights_use_dsps_even_on_a_narrow_input():
    """Same DSP rule as the trained-weights estimate: 16-bit constants on an 8-bit ReLU output use DSPs
    (l1-jet-id DeepSets output layer: 90 of 160 products), 8-bit ones do not."""
    wide = estimate_design([(32, 5)], (16, 8), input_bits=8)
    narrow = estimate_design([(32, 5)], (8, 8), input_bits=8)
    assert wide.dsp.value == 32 * 5 and narrow.dsp.value == 0


class _Config:
    def __init__(self, **values):
        self.values = values

    def get_config_value(self, key):
        return self.values.get(key)


class _Model:
    def __init__(self, **values):
        self.config = _Config(**values)


def test_clock_uncertainty_from_the_model_else_the_backend_default():
    from hls_workers.estimate.analytic import clock_uncertainty_of

    assert clock_uncertainty_of(_Model(ClockUncertainty="40%", Backend="Vitis")) == pytest.approx(0.40)
    assert clock_uncertainty_of(_Model(Backend="Vivado")) == pytest.approx(0.125)
    assert clock_uncertainty_of(_Model(Backend="Vivado"), {"backend": "Vitis"}) == pytest.approx(0.27)
    assert clock_uncertainty_of(_Model()) == pytest.approx(0.27)
