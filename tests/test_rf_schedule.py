"""Latency strategy at RF > 1 in the cost model: hls4ml's multiplier limit, the batches it causes, and the II the
HLS tool reports (pure logic, no TensorFlow; calibration in docs/estimate_residuals.md)."""

from __future__ import annotations

import numpy as np
import pytest

from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import LayerSpec, for_backend, layer_cost

SHIFT, SHIFT_ADD, MULTIPLY = 8, 6, 11  # CSD digits: 1 (8), 2 (8 - 2), 3 (16 - 4 - 1)


def _cost(codes: np.ndarray, rf: int, input_bits: int = 6, family: str = "7series"):
    coeffs = for_backend(load_coefficients(family), "vivado", 0.125)
    n_in, n_out = codes.shape
    spec = LayerSpec("fc", "dense", n_in, n_out, input_bits=input_bits, weight_bits=6, accum_bits=16,
                     result_bits=16, reuse_factor=rf, codes=codes)
    return layer_cost(spec, coeffs, 5.0)


def _pruned(multiply: int, rest: int = SHIFT_ADD, nonzero: int = 256) -> np.ndarray:
    """32 x 32 kernel, 75 % zeros; ``multiply`` of its nonzero constants need a multiplier (3 CSD digits)."""
    flat = np.zeros(32 * 32, dtype=np.int64)
    flat[:nonzero] = rest
    flat[:multiply] = MULTIPLY
    return np.random.default_rng(0).permutation(flat).reshape(32, 32)


def test_limit_counts_multiplications_not_shift_adds():
    """RF 64, 256 nonzero of 1024: limit = 16 - 768 // 64 = 4 multipliers. 32 three-digit constants take 8
    batches; the same layer with two-digit constants (shifts and adds) takes none."""
    with_mults = _cost(_pruned(32), rf=64)
    without = _cost(_pruned(0), rf=64)
    assert with_mults.detail["multiplier_limit"] == 4 and with_mults.detail["batches"] == 8
    assert "batches" not in without.detail
    assert with_mults.cycles == 8 > without.cycles


def test_ii_is_latency_plus_one_when_the_layer_finishes_before_rf():
    """Vivado HLS 2019.2 at RF 64 reports II = latency + 1 for such layers (docs/estimate_residuals.md)."""
    cost = _cost(_pruned(32), rf=64)
    assert cost.ii == cost.cycles + 1 < 64


def test_ii_is_rf_when_the_batches_fill_it():
    cost = _cost(_pruned(256, rest=MULTIPLY), rf=64)  # 256 multiplications on 4 multipliers: 64 batches
    assert cost.detail["batches"] == 64 and cost.ii == 64


def test_rf_one_has_no_limit():
    cost = _cost(_pruned(256, rest=MULTIPLY), rf=1)
    assert "batches" not in cost.detail and cost.ii == 1


def test_only_shared_dsps_get_operand_muxes():
    """Narrow (LUT) products shared by the limit add no LUT; DSP-bound ones (wide input) get input muxes."""
    lut_rf1, lut_rf64 = (_cost(_pruned(32), rf=rf) for rf in (1, 64))
    assert lut_rf64.lut == pytest.approx(lut_rf1.lut)
    kernel = _pruned(32, rest=SHIFT)
    kernel[kernel == MULTIPLY] = 0b101101  # 45: 4 CSD digits, 6 significant bits -> a DSP on a 16-bit input
    dsp_rf1, dsp_rf64 = (_cost(kernel, rf=rf, input_bits=16) for rf in (1, 64))
    assert dsp_rf1.dsp == 32 and dsp_rf64.dsp == 4  # the limit: 4 multipliers
    per_dsp_lut = load_coefficients("7series")["lut"]["per_dsp"]
    assert dsp_rf64.lut > dsp_rf1.lut - 28 * per_dsp_lut  # 28 DSPs fewer, but muxes on the 4 shared ones


def test_the_last_batch_of_dsp_products_keeps_its_pipeline_stages():
    """32 DSP products on 4 shared DSPs: 8 batches. On 7-series at 5 ns a DSP product takes 2 stages, so the layer
    takes 9 cycles (Vivado HLS 2019.2, xc7z020, RF 64: fc1 reports 9); at 25 ns one stage, 8 cycles; LUT products
    (one cycle) add nothing."""
    kernel = _pruned(32, rest=SHIFT)
    kernel[kernel == MULTIPLY] = 0b101101  # 45: a DSP product on a 16-bit input
    coeffs = for_backend(load_coefficients("7series"), "vivado", 0.125)
    spec = LayerSpec("fc", "dense", 32, 32, input_bits=16, weight_bits=6, accum_bits=16, result_bits=16,
                     reuse_factor=64, codes=kernel)
    at_5ns, at_25ns = layer_cost(spec, coeffs, 5.0), layer_cost(spec, coeffs, 25.0)
    assert at_5ns.detail["batches"] == at_25ns.detail["batches"] == 8
    assert (at_5ns.cycles, at_25ns.cycles) == (9, 8)
    assert _cost(_pruned(32), rf=64).cycles == 8  # the same batches of LUT products
