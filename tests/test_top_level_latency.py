"""Top-level latency in the cost model: each layer call's own latency plus the top function's per-call logic,
along the longest chain of calls (pure logic, no TensorFlow; calibration in docs/estimate_residuals.md)."""

from __future__ import annotations

import math

from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.estimate.cost_model import (LayerCost, LayerSpec, for_backend, instance_cycles, network_cost,
                                             top_level_cycles)


def _coeffs(family: str = "ultrascale_plus") -> dict:
    return for_backend(load_coefficients(family), "vivado", 0.125)


def _relu(name: str, source: str, n: int = 8) -> LayerSpec:
    return LayerSpec(name, "relu", n, n, inputs=(source,), output=name)


def test_a_layer_that_fits_one_clock_is_combinational():
    assert instance_cycles(LayerCost("fc", "dense", cycles=1)) == 0
    assert instance_cycles(LayerCost("fc", "dense", cycles=3)) == 2
    assert instance_cycles(LayerCost("relu", "relu", cycles=0)) == 0


def test_every_call_adds_its_top_level_logic():
    coeffs = _coeffs()
    per_call = coeffs["latency"]["t_call_ns"] / (5.0 * (1 - 0.125))
    for calls in (1, 4, 20):
        specs = [_relu(f"r{i}", f"r{i - 1}" if i else "input") for i in range(calls)]
        costs = [LayerCost(s.name, s.kind) for s in specs]
        expected = math.ceil(calls * per_call - 1e-9) + coeffs["latency"]["io_cycles"]
        assert top_level_cycles(specs, costs, coeffs, 5.0) == expected
    # more calls never take fewer cycles, and a shorter clock makes the same calls take more
    specs = [_relu(f"r{i}", f"r{i - 1}" if i else "input") for i in range(12)]
    costs = [LayerCost(s.name, s.kind) for s in specs]
    assert top_level_cycles(specs, costs, coeffs, 2.8) > top_level_cycles(specs, costs, coeffs, 5.0)


def test_two_heads_run_side_by_side():
    """A second head on the same tensor adds its calls only if its chain is the longer one."""
    coeffs = _coeffs()
    trunk = [_relu("a", "input"), _relu("b", "a")]
    long_head = [_relu("c", "b"), _relu("d", "c"), _relu("e", "d")]
    short_head = [_relu("f", "b")]
    one = trunk + long_head
    both = trunk + long_head + short_head
    cycles = [LayerCost(s.name, s.kind) for s in both]
    assert (top_level_cycles(both, cycles, coeffs, 2.8)
            == top_level_cycles(one, cycles[:len(one)], coeffs, 2.8))
    # two three-call heads side by side take less than the same calls in one chain
    split = trunk + long_head + [_relu("f", "b"), _relu("g", "f"), _relu("h", "g")]
    chained = [_relu(name, source) for name, source in zip("abcdefgh", ["input", *"abcdefg"])]
    assert (top_level_cycles(chained, [LayerCost(s.name, s.kind) for s in chained], coeffs, 2.8)
            > top_level_cycles(split, [LayerCost(s.name, s.kind) for s in split], coeffs, 2.8))


def test_specs_without_tensor_names_form_one_chain():
    """Pre-training specs carry no hls4ml tensor names: every call is on the one chain."""
    coeffs = _coeffs()
    specs = [LayerSpec(f"l{i}", "relu", 8, 8) for i in range(6)]
    costs = [LayerCost(s.name, s.kind, cycles=3 if i == 2 else 0) for i, s in enumerate(specs)]
    per_call = coeffs["latency"]["t_call_ns"] / (5.0 * (1 - 0.125))
    assert top_level_cycles(specs, costs, coeffs, 5.0) == (
        math.ceil(2 + 6 * per_call - 1e-9) + coeffs["latency"]["io_cycles"])


def test_network_latency_counts_a_slow_layer_once():
    """A dense layer whose path spans three clocks adds its two internal stages to the network latency."""
    coeffs = _coeffs("7series")
    codes = [[3000] * 4 for _ in range(64)]  # 64 wide constants per output: DSP products and 6 adder levels
    dense = LayerSpec("fc", "dense", 64, 4, input_bits=16, weight_bits=16, accum_bits=32, result_bits=16,
                      codes=codes, inputs=("input",), output="fc")
    relu = _relu("relu", "fc", 4)
    alone = network_cost([relu], coeffs, 5.0, "test")
    both = network_cost([dense, relu], coeffs, 5.0, "test")
    fc = both.per_layer[0]
    assert fc["cycles"] >= 2 and fc["instance_latency"] == fc["cycles"] - 1
    assert both.latency_cycles.value >= alone.latency_cycles.value + fc["instance_latency"]
