"""``da4ml``: distributed-arithmetic cost of a dense network's constant-multiplication graph (DSP-free).

da4ml (``pip install da4ml==0.5.2``; hls4ml's ``distributed_arithmetic`` strategy uses it) replaces every
constant matrix-vector product by a shared shift-and-add graph. This estimator traces the converted
hls4ml model through da4ml with the model's own weights and types (input precision, weight grid, bias,
ReLU/result quantization per layer) and reads:

- ``lut``: da4ml's cost of the traced graph — exact and deterministic for that graph (adder bits, one
  LUT per bit with carry chains); it tracked Yosys ``synth_xilinx`` within -4..+10 % (DESIGN.md);
- ``dsp``: 0 (distributed arithmetic uses no DSPs);
- ``latency_cycles``: pipeline stages when da4ml cuts the graph every ``clock / t_add_level`` adder
  levels (t_add_level from the family coefficients) — a model, not a timing report;
- ``ff``: register bits of that pipeline (da4ml's ``reg_bits``); ``bram_18k``: 0; ``ii``: 1.

hls4ml 1.3.0's own DA strategy computes the same per-layer cost (``da_kernel_cost``) but only inside its
optimizer flow with RF 1 and io_parallel, on the weights alone; tracing the whole network here also
counts the ReLU/quantization glue and the pipeline, so it is used directly instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hls_workers.estimate.analytic import clock_uncertainty_of, family_of, target_of
from hls_workers.estimate.base import Estimator, EstimatorUnavailable, ResourceEstimate, register_estimator
from hls_workers.estimate.coefficients import load_coefficients
from hls_workers.fixed_point import from_hls

SOURCE = "da4ml"
_SUPPORTED = {"Dense", "Activation", "ReLU", "Softmax", "Input", "InputLayer"}


def _kif(precision: Any) -> tuple[int, int, int]:
    """(keep_negative, integer bits without sign, fractional bits) of an hls4ml fixed type."""
    t = from_hls(precision)
    return int(t.signed), t.integer - int(t.signed), t.fractional


def _round_mode(precision: Any) -> str:
    return "RND" if "RND" in from_hls(precision).rounding else "TRN"


def _overflow_mode(precision: Any) -> str:
    return "SAT" if "SAT" in from_hls(precision).overflow else "WRAP"


def _grid(values: np.ndarray, precision: Any) -> np.ndarray:
    """``values`` converted to ``precision`` as ``ap_fixed`` does, back as exact floats."""
    from hls_workers.numpy_emulator.fixed import from_float, to_float

    t = from_hls(precision)
    return to_float(from_float(np.asarray(values, dtype=np.float64), t), t)


@register_estimator(SOURCE)
class Da4mlEstimator(Estimator):
    """Exact DA cost (LUT) of dense/QDense networks; DSP = 0."""

    name = SOURCE

    def available(self, settings: Any = None) -> tuple[bool, str]:
        try:
            import da4ml  # noqa: F401
        except ImportError as exc:
            return False, f"da4ml is not installed ({exc}); pip install da4ml==0.5.2"
        return True, ""

    def trace(self, hls_model: Any):
        """da4ml combinational logic of the whole network (input → last dense/activation)."""
        from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

        layers = [layer for layer in hls_model.get_layers()]
        unsupported = [f"{l.name} ({l.class_name})" for l in layers if l.class_name not in _SUPPORTED]
        if unsupported:
            raise EstimatorUnavailable(f"da4ml estimator handles Dense networks only; unsupported: {', '.join(unsupported)}")
        first = layers[0]
        k, i, f = _kif(first.get_output_variable().type.precision)
        n_in = int(np.prod(first.get_output_variable().shape))
        inputs = FixedVariableArray.from_kif(np.full(n_in, k), np.full(n_in, i), np.full(n_in, f), HWConfig(1, -1, -1),
                                             solver_options={"hard_dc": 2})
        x = inputs
        for layer in layers[1:]:
            result = layer.get_output_variable().type.precision
            if layer.class_name == "Dense":
                weight_t = layer.types["weight_t"].precision
                kernel = layer.attributes["weight"].data
                n_lin, n_lout = int(layer.get_attr("n_in")), int(layer.get_attr("n_out"))
                kernel = kernel.reshape(n_lout, n_lin).T if layer.get_attr("_weights_transposed", False) else kernel.reshape(n_lin, n_lout)
                x = x @ _grid(kernel, weight_t)
                bias = layer.attributes.get("bias")
                if bias is not None and np.any(bias.data != 0):
                    x = x + _grid(np.asarray(bias.data).ravel(), layer.types["bias_t"].precision)
                rk, ri, rf = _kif(result)
                x = x.quantize(rk, ri, rf, overflow_mode=_overflow_mode(result), round_mode=_round_mode(result))
            elif layer.class_name in ("Activation", "ReLU") and str(layer.get_attr("activation", "relu")).lower() == "relu":
                _, ri, rf = _kif(result)
                x = x.relu(i=ri, f=rf, round_mode=_round_mode(result))
            elif layer.class_name in ("Activation", "ReLU") and str(layer.get_attr("activation")).lower() == "linear":
                continue
            elif layer.class_name == "Softmax" or str(layer.get_attr("activation", "")).lower() == "softmax":
                if not layer.get_attr("skip", False):
                    self._notes.append(f"{layer.name}: softmax is not traced (its tables are not DA); cost excludes it")
            else:
                raise EstimatorUnavailable(f"da4ml estimator: activation {layer.get_attr('activation')!r} of {layer.name} is not supported")
        return comb_trace(inputs, x)

    def estimate(self, hls_model_or_design: Any, settings: Any = None) -> ResourceEstimate:
        self.require_available()
        from da4ml.trace import to_pipeline

        self._notes: list[str] = []
        hls_model = hls_model_or_design
        part, clock, _ = target_of(hls_model, settings)
        coeffs = load_coefficients(family_of(part, self._notes))
        comb = self.trace(hls_model)
        lat = coeffs["latency"]
        eff = clock * (1.0 - clock_uncertainty_of(hls_model, settings))
        levels_per_cycle = max(1, int(eff // lat["t_add_level_ns"]))
        depth = float(max(comb.latency)) if comb.ops else 0.0
        pipe = to_pipeline(comb, levels_per_cycle, retiming=False, verbose=False) if comb.ops else None
        stages = len(pipe.solutions) if pipe is not None else 0
        cycles = stages + lat["io_cycles"]
        ff = float(pipe.reg_bits) if pipe is not None else 0.0
        notes = self._notes + [
            "lut: da4ml cost of the traced constant-multiplication graph (exact for that graph, deterministic)",
            f"latency: {depth:.0f} adder levels cut every {levels_per_cycle} levels at {clock} ns (model, not timing)",
            "dsp: 0 by construction (distributed arithmetic)",
        ]
        return ResourceEstimate.from_values(
            SOURCE, notes=notes, per_layer=[{"adder_levels": depth, "stages": stages}],
            lut=round(comb.cost), dsp=0, ff=round(ff), bram_18k=0, latency_cycles=cycles,
            latency_ns=cycles * clock, ii=1,
        )


def rtl_project(hls_model: Any, path: str, clock_ns: float = 5.0, part: str = "xcvu13p-flga2577-2-e") -> str:
    """Write da4ml's Verilog of the traced network into ``path`` (combinational); returns the top module name."""
    from da4ml.codegen.rtl.rtl_model import VerilogModel

    est = Da4mlEstimator()
    est._notes = []
    comb = est.trace(hls_model)
    name = "da_net"
    VerilogModel(comb, name, path, part_name=part, clock_period=clock_ns).write()
    return name


__all__ = ["Da4mlEstimator", "rtl_project"]
