"""Closed-form cost of hls4ml io_parallel layers (Latency and Resource strategies) from layer specs.

Shared by the post-training estimator (:mod:`.analytic`, specs read from a converted hls4ml model with its
real weights) and the pre-training one (:mod:`.pretrain`, specs from the design alone). Imports numpy
only. The model, with the meaning of every coefficient, is described in docs/hardware_cost.md:

- Latency strategy, RF 1: weights are constants. A zero costs nothing, a power of two is a shift, a
  constant with enough signed-digit (CSD) terms and significant bits on a wide enough input becomes a
  DSP, any other one a shift-and-add chain in LUTs. Every output sums its nonzero products in an adder
  tree of the accumulator width.
- Latency strategy, RF > 1: the same circuit; hls4ml's multiplier limit (``ceil(n_in*n_out/RF) -
  n_zeros/RF``) caps the multiplications run at once (DSP-bound ones and LUT ones of 3+ CSD digits), which
  then pass in batches; shared DSPs get muxes. II = min(RF, cycles + 1).
- Resource strategy, RF > 1: ``ceil(n_in*n_out/RF)`` real multipliers fed from weight memories; zeros
  are *not* skipped (hls4ml #566), products map to DSPs when both operands are wide; weight memories go
  to BRAM when deep and large.
- Latency: a layer's path (product, then adder tree) cut at the effective clock gives its cycles; its own
  function takes one less (the top level registers its outputs). The network takes the longest chain of
  calls: their own latencies plus ``t_call_ns`` of top-level logic per call (:func:`top_level_cycles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hls_workers.estimate.base import ResourceEstimate
from hls_workers.widths import adder_bits, clog2

#: hls4ml's default ClockUncertainty per backend (the HLS tool schedules against clock x (1 - uncertainty)).
DEFAULT_UNCERTAINTY = {"vitis": 0.27, "vivado": 0.125}


def default_uncertainty(backend: str) -> float:
    """hls4ml's default clock uncertainty of ``backend`` (Vitis's for unknown ones)."""
    return DEFAULT_UNCERTAINTY.get(backend.lower(), DEFAULT_UNCERTAINTY["vitis"])


def for_backend(coeffs: dict, backend: str, uncertainty: float | None = None) -> dict:
    """Aim ``coeffs`` at an hls4ml backend: its LUT scale, and its (or the given) clock uncertainty."""
    coeffs["backend"] = backend.lower()
    coeffs["latency"]["clock_uncertainty"] = default_uncertainty(backend) if uncertainty is None else uncertainty
    return coeffs

Kind = Literal["dense", "relu", "activation", "pool_avg", "pool_max", "pool_sum", "softmax", "passthrough"]
#: Aggregation (``PoolRecord.op``) → the cost-model kind of its layer.
POOL_KINDS = {"mean": "pool_avg", "max": "pool_max", "sum": "pool_sum"}


@dataclass
class LayerSpec:
    """What the cost model needs to know about one hls4ml layer.

    ``codes`` are the weights as integers on the weight grid (value * 2**weight_frac), shape (n_in, n_out);
    without them (pre-training) the layer is assumed to have ``round(n_in*n_out*(1-sparsity))`` nonzero
    full-width weights spread evenly over the outputs.
    """

    name: str
    kind: Kind
    n_in: int
    n_out: int
    input_bits: int = 16
    weight_bits: int = 0
    accum_bits: int = 0
    result_bits: int = 16
    reuse_factor: int = 1
    strategy: str = "latency"
    #: Parallel copies of the layer's hardware (DeepSets phi layers in io_parallel: one per constituent).
    repeats: int = 1
    #: Sequential passes through one copy of the hardware (a pointwise Conv1D in the Resource strategy).
    passes: int = 1
    codes: np.ndarray | None = None
    sparsity: float = 0.0
    has_bias: bool = True
    #: Items summed or compared by a pooling layer (constituents).
    pool_items: int = 1
    #: The cast into the result type rounds or saturates (activations): extra logic per element.
    rounds_or_saturates: bool = False
    #: Table-based activations (sigmoid, tanh, ...): entries and width of hls4ml's lookup table (0 = unknown).
    table_size: int = 0
    table_bits: int = 0
    #: Dense: weights (n_in, n_out) whose products the tool removes (constant input or unused output;
    #: :mod:`~hls_workers.estimate.dead_logic`). They still count as nonzero in hls4ml's multiplier limit.
    removed: np.ndarray | None = None
    #: Element-wise layers: elements that are neither constant nor unused (None: all ``n_out``).
    active_elements: int | None = None
    #: The tensors this layer reads and the one it writes (hls4ml names; dead logic follows them).
    inputs: tuple[str, ...] = ()
    output: str = ""

    @property
    def elements(self) -> int:
        """Elements an element-wise layer builds: ``active_elements`` when dead logic was removed, else all."""
        return self.n_out if self.active_elements is None else self.active_elements

    def spread_nonzero_per_output(self) -> int:
        """Pre-training (no ``codes``): nonzero weights per output, ``sparsity`` spread evenly."""
        return round(self.n_in * (1.0 - self.sparsity))

    def built_codes(self) -> np.ndarray:
        """The weights whose products are built: ``codes`` without the ``removed`` ones, shape (n_in, n_out)."""
        codes = np.asarray(self.codes).reshape(self.n_in, self.n_out)
        return codes if self.removed is None else np.where(self.removed, 0, codes)

    def hls_zeros(self) -> int:
        """Zero weights as hls4ml counts them for its multiplier limit (before any dead logic is removed)."""
        total = self.n_in * self.n_out
        if self.codes is None:
            return total - self.n_out * self.spread_nonzero_per_output()
        return total - int(np.count_nonzero(self.codes))


@dataclass
class LayerCost:
    """Cost of one layer (already multiplied by ``repeats``)."""

    name: str
    kind: str
    lut: float = 0.0
    dsp: float = 0.0
    ff: float = 0.0
    bram_18k: float = 0.0
    cycles: float = 0.0
    ii: float = 1.0
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "lut": round(self.lut), "dsp": round(self.dsp),
               "ff": round(self.ff), "bram_18k": round(self.bram_18k), "cycles": self.cycles,
               "instance_latency": instance_cycles(self), "ii": self.ii}
        out.update(self.detail)
        return out


def csd_digits(values: np.ndarray) -> np.ndarray:
    """Nonzero digits of the canonical signed-digit (NAF) form of each |value|: popcount((3x ^ x) >> 1)."""
    x = np.abs(values.astype(np.int64))
    y = ((3 * x) ^ x) >> 1
    count = np.zeros_like(y)
    while np.any(y):
        count += y & 1
        y >>= 1
    return count


def significant_bits(values: np.ndarray) -> np.ndarray:
    """Bits between the highest and lowest set bit of each |value| (0 for zero)."""
    x = np.abs(values.astype(np.int64))
    out = np.zeros_like(x)
    nz = x > 0
    if np.any(nz):
        v = x[nz]
        lowest = v & -v
        out[nz] = np.floor(np.log2(v)).astype(np.int64) - np.floor(np.log2(lowest)).astype(np.int64) + 1
    return out


@dataclass(frozen=True)
class ProductProfile:
    """How the nonzero constant products of a Latency-strategy layer map to hardware.

    ``dsp`` and ``lut_products`` are expected counts: borderline constants (enough CSD terms, one
    significant bit short of the DSP rule) go to a DSP with probability ``const_borderline_dsp_fraction``.
    """

    nonzero: int
    shifts: int
    dsp: float
    lut_products: float
    shift_add_bits: float
    nonzero_per_output: np.ndarray
    #: Products the HLS tool keeps as multiplications, which hls4ml's ALLOCATION limit counts at RF > 1: the
    #: DSP-bound ones and the LUT products of ``dsp.const_min_csd_digits`` or more CSD digits (fewer digits
    #: become shifts and adds).
    multiplications: float = 0.0


def dsp_share(digits: np.ndarray, sig: np.ndarray, input_bits: int, dsp_rule: dict) -> np.ndarray:
    """Probability that each constant product (CSD digits, significant bits) is mapped to a DSP."""
    # A wide constant (many significant bits) makes the product wide even on a narrow input.
    wide = (input_bits >= dsp_rule["min_input_bits"]) | (sig >= dsp_rule.get("const_wide_significant_bits", 99))
    enough_digits = wide & (digits >= dsp_rule["const_min_csd_digits"])
    min_sig = dsp_rule["const_min_significant_bits"]
    borderline = float(dsp_rule.get("const_borderline_dsp_fraction", 0.0))
    return np.where(enough_digits & (sig >= min_sig), 1.0, np.where(enough_digits & (sig == min_sig - 1), borderline, 0.0))


def constant_products(spec: LayerSpec, coeffs: dict) -> ProductProfile:
    """Classify every nonzero weight of a Latency-strategy layer (zero / shift / DSP / LUT shift-add)."""
    if spec.codes is None:  # pre-training: full-width products, sparsity spread evenly
        per_output = np.full(spec.n_out, spec.spread_nonzero_per_output())
        nonzero = int(per_output.sum())
        sig = spec.weight_bits - 1
        digits = max(1, math.ceil(sig / 2))
        share = float(dsp_share(np.array(digits), np.array(sig), spec.input_bits, coeffs["dsp"]))
        lut_n = nonzero * (1.0 - share) if digits > 1 else 0.0
        bits = lut_n * (digits - 1) * (spec.input_bits + sig)
        mults = nonzero if digits >= coeffs["dsp"]["const_min_csd_digits"] else nonzero * share
        return ProductProfile(nonzero, 0 if digits > 1 else nonzero, nonzero * share, lut_n, float(bits), per_output,
                              float(mults))
    codes = spec.built_codes()
    per_output = np.count_nonzero(codes, axis=0)
    values = codes[codes != 0]
    digits = csd_digits(values)
    sig = significant_bits(values)
    share = dsp_share(digits, sig, spec.input_bits, coeffs["dsp"])
    lut_share = np.where(digits > 1, 1.0 - share, 0.0)
    bits = float(np.sum(lut_share * (digits - 1) * (spec.input_bits + sig)))
    mults = float(np.sum(np.where(digits >= coeffs["dsp"]["const_min_csd_digits"], 1.0, share)))
    return ProductProfile(int(values.size), int(np.sum(digits == 1)), float(share.sum()), float(lut_share.sum()),
                          bits, per_output, mults)


def _dsp_per_product(a_bits: int, b_bits: int, coeffs: dict) -> int:
    """DSP slices for one a x b product (the wider operand on the wide port)."""
    wide, narrow = max(a_bits, b_bits), min(a_bits, b_bits)
    port_a, port_b = coeffs["dsp"]["port_a_bits"], coeffs["dsp"]["port_b_bits"]
    return max(1, math.ceil(wide / port_a) * math.ceil(narrow / port_b))


def _effective_clock(clock_ns: float, coeffs: dict) -> float:
    return clock_ns * (1.0 - coeffs["latency"]["clock_uncertainty"])


def _dsp_cycles(coeffs: dict, clock_ns: float) -> int:
    """Pipeline stages of one DSP product: ``ceil(latency.t_dsp_ns / clock_eff)``."""
    return _cycles_of(coeffs["latency"]["t_dsp_ns"], coeffs, clock_ns)


def _cycles_of(delay_ns: float, coeffs: dict, clock_ns: float) -> int:
    """Clock cycles a path of ``delay_ns`` takes at the effective clock (at least one)."""
    return max(1, math.ceil(delay_ns / _effective_clock(clock_ns, coeffs)))


def _dense_cost(spec: LayerSpec, coeffs: dict, clock_ns: float) -> LayerCost:
    lut_c, lat = coeffs["lut"], coeffs["latency"]
    rf = max(1, spec.reuse_factor)
    adder_width = min(spec.accum_bits or 64, adder_bits(spec.input_bits, spec.weight_bits, spec.n_in))
    total = spec.n_in * spec.n_out
    cost = LayerCost(spec.name, spec.kind, ii=rf)
    if spec.strategy == "resource" and rf > 1:
        cost = _resource_dense(spec, coeffs, clock_ns, adder_width)
    else:
        prof = constant_products(spec, coeffs)
        per_dsp = _dsp_per_product(spec.input_bits, spec.weight_bits, coeffs)
        dsp = prof.dsp * per_dsp
        detail = {"nonzero": prof.nonzero, "shift": prof.shifts, "dsp_products": round(prof.dsp, 1),
                  "lut_products": round(prof.lut_products, 1)}
        mux_lut, batches = 0.0, 1
        if rf > 1:  # hls4ml's ALLOCATION limit: at most `limit` multiplications (DSP or LUT) per layer
            limit = max(math.ceil(total / rf) - spec.hls_zeros() // rf, 1)
            batches = min(rf, math.ceil(prof.multiplications / limit))
            if batches > 1:
                detail.update(multiplier_limit=limit, multiplications=round(prof.multiplications, 1),
                              batches=batches)
            if dsp > limit * per_dsp:  # each shared DSP takes `batches` operand pairs through a mux
                dsp = limit * per_dsp
                mux_lut = lut_c["per_mux_bit"] * dsp * (spec.input_bits + spec.weight_bits) * (batches - 1)
        adders = float(np.sum(np.maximum(prof.nonzero_per_output + (1 if spec.has_bias else 0) - 1, 0)))
        lut = (lut_c["per_shift_add_bit"] * prof.shift_add_bits + lut_c["per_adder_bit"] * adders * adder_width
               + lut_c["per_dsp"] * dsp + lut_c["per_product"] * prof.nonzero + mux_lut)
        levels = clog2(int(prof.nonzero_per_output.max(initial=0)) + (1 if spec.has_bias else 0))
        eff = _effective_clock(clock_ns, coeffs)
        if prof.dsp:  # DSP product (cascaded DSPs when wider than the ports) chained with the adder tree
            cycles = math.ceil((per_dsp * lat["t_dsp_ns"] + levels * lat["t_add_level_ns"]) / eff)
        else:
            mult_ns = lat["t_lut_mult_ns"] if prof.lut_products else 0.0
            cycles = math.ceil((mult_ns + levels * lat["t_add_level_ns"]) / eff)
        # The multiplications pass the shared multipliers in batches; the adder tree overlaps them, the DSP
        # pipeline does not: the last batch of DSP products still takes its extra stages (Vivado HLS 2019.2,
        # RF 64, xc7z020: 8 batches with 4 DSPs take 9 cycles).
        tail = _dsp_cycles(coeffs, clock_ns) - 1 if prof.dsp and batches > 1 else 0
        cycles = max(cycles, batches + tail, 1)
        detail["adder_tree_levels"] = levels
        stage_ff = _dsp_stage_ff(spec, coeffs, clock_ns, dsp / per_dsp if per_dsp else 0.0)
        if stage_ff:
            detail["dsp_stage_ff"] = round(stage_ff)
        # II is RF, unless the layer finishes sooner: the tool then reports latency + 1 (Vivado HLS 2019.2, RF 64)
        cost = LayerCost(spec.name, spec.kind, lut=lut, dsp=dsp, cycles=cycles, ii=min(rf, cycles + 1),
                         detail=detail)
    return _scale(cost, spec, coeffs)


def _dsp_stage_ff(spec: LayerSpec, coeffs: dict, clock_ns: float, products: float) -> float:
    """Registers on the DSP products of a Latency layer whose product does not fit one effective clock:
    ``ff.per_dsp_stage_bit_by_backend[backend]`` x DSP-bound products x product bits (input + weight) x extra
    DSP stages. Only where the family gives the HLS tool a value."""
    per_bit = _of_backend(coeffs["ff"].get("per_dsp_stage_bit_by_backend", {}), coeffs, 0.0)
    if not per_bit or not products:
        return 0.0
    extra_stages = _dsp_cycles(coeffs, clock_ns) - 1
    return per_bit * products * (spec.input_bits + spec.weight_bits) * max(extra_stages, 0)


def _resource_dense(spec: LayerSpec, coeffs: dict, clock_ns: float, adder_width: int) -> LayerCost:
    """Resource strategy, RF > 1: real multipliers, zeros not skipped, weights in memories."""
    lut_c, lat, bram_c = coeffs["lut"], coeffs["latency"], coeffs["bram"]
    rf = spec.reuse_factor
    total = spec.n_in * spec.n_out
    mults = math.ceil(total / rf)
    wide = min(spec.input_bits, spec.weight_bits) >= coeffs["dsp"]["var_min_bits"]
    dsp = mults * _dsp_per_product(spec.input_bits, spec.weight_bits, coeffs) if wide else 0
    mult_lut = 0.0 if wide else lut_c["per_var_mult_bit2"] * mults * spec.input_bits * spec.weight_bits
    accum_lut = lut_c["per_adder_bit"] * mults * adder_width
    mux_lut = lut_c["per_mux_bit"] * mults * spec.input_bits * clog2(rf)
    bram = 0.0
    rom_bits = total * spec.weight_bits
    rom_lut = 0.0
    if rf >= bram_c["min_depth"] and rom_bits >= bram_c["min_bits"]:
        word = mults * spec.weight_bits
        bram = math.ceil(word / bram_c["max_width"]) * math.ceil(rf / bram_c["max_depth"])
    else:
        rom_lut = lut_c["per_mux_bit"] * mults * spec.weight_bits * clog2(rf)
    cycles = rf + lat["resource_overhead_cycles"] + (_dsp_cycles(coeffs, clock_ns) if wide else 0)
    detail = {"multipliers": mults, "zeros_skipped": False}
    return LayerCost(spec.name, spec.kind, lut=mult_lut + accum_lut + mux_lut + rom_lut, dsp=dsp, bram_18k=bram,
                     cycles=cycles, ii=rf, detail=detail)


def _scale(cost: LayerCost, spec: LayerSpec, coeffs: dict) -> LayerCost:
    """Multiply by parallel copies and sequential passes; add registers (FF)."""
    ff_c = coeffs["ff"]
    copies = max(1, spec.repeats)
    cost.lut *= copies
    cost.dsp *= copies
    cost.bram_18k *= copies
    if spec.passes > 1:
        cost.cycles = cost.cycles + (spec.passes - 1) * cost.ii
        cost.ii = cost.ii * spec.passes
    cost.lut *= lut_scale(coeffs)
    per_lut = ff_per_lut(coeffs) if spec.kind == "dense" else ff_c["per_lut"]
    cost.ff = ff_c["per_dsp"] * cost.dsp + per_lut * cost.lut + copies * cost.detail.get("dsp_stage_ff", 0)
    latency_dense = spec.kind == "dense" and spec.strategy != "resource"
    if latency_dense and spec.reuse_factor > 1:
        # Latency strategy at RF > 1: operands and partial sums held across the schedule (``ff.per_lut_rf``)
        cost.ff += ff_c.get("per_lut_rf", 0.0) * cost.lut
    elif latency_dense and cost.cycles <= 1:
        # The whole layer (products and adder tree) fits in one clock: no pipeline rank inside it, only the
        # register on its outputs (n_out x result bits per copy).
        cost.ff = float(copies * spec.n_out * spec.result_bits)
    if copies > 1:
        cost.detail["copies"] = copies
    return cost


def ff_per_lut(coeffs: dict) -> float:
    """Registers per LUT of a dense layer's pipelined logic: ``ff.per_lut_by_backend`` of the HLS tool
    generation when the family gives one (7-series Vitis: 0.82 at 3.3–5 ns, fitted on the ArgyKokk instance
    tables), else ``ff.per_lut``."""
    return _of_backend(coeffs["ff"].get("per_lut_by_backend", {}), coeffs, coeffs["ff"]["per_lut"])


def lut_scale(coeffs: dict) -> float:
    """LUT factor of the HLS tool generation (``lut.backend_scale`` keyed by ``coeffs['backend']``)."""
    return _of_backend(coeffs["lut"].get("backend_scale", {}), coeffs, 1.0)


def _of_backend(by_backend: dict, coeffs: dict, default: float) -> float:
    """The value of a per-HLS-tool coefficient (``{"vitis": …, "vivado": …}``) for ``coeffs['backend']``."""
    return float(by_backend.get(str(coeffs.get("backend", "vitis")).lower(), default))


def _elementwise_cost(spec: LayerSpec, coeffs: dict, clock_ns: float) -> LayerCost:
    lut_c, lat = coeffs["lut"], coeffs["latency"]
    width = spec.elements
    if spec.kind == "relu":  # compare and select on the input width, plus the rounding/saturating cast
        cast = lut_c.get("per_round_sat_bit", 0.0) * spec.result_bits if spec.rounds_or_saturates else 0.0
        lut = width * (lut_c["per_relu_bit"] * spec.input_bits + cast)
        cycles = 0
    elif spec.kind == "passthrough":
        lut, cycles = 0.0, 0
    else:  # table-based activations (sigmoid, tanh, ...): one small ROM lookup per element
        lut = lut_c.get("per_table_bit", 2.0) * width * spec.result_bits
        cycles = lat["table_cycles"]
    bram = _table_bram(spec, coeffs) if spec.kind == "activation" else 0.0
    cost = LayerCost(spec.name, spec.kind, lut=lut, bram_18k=bram, cycles=cycles, detail={"elements": width})
    return _scale(cost, spec, coeffs)


def _table_bram(spec: LayerSpec, coeffs: dict) -> float:
    """BRAM of a table activation's lookup table: a table of at least ``bram.min_bits`` (hls4ml's default
    1024 x ap_fixed<18,8> is exactly one 18 Kb block) is a block ROM, one dual-port copy per two elements;
    smaller tables stay in LUTs."""
    bram_c = coeffs["bram"]
    bits = spec.table_size * spec.table_bits
    if not bits or bits < bram_c["min_bits"]:
        return 0.0
    return math.ceil(spec.elements / 2) * math.ceil(bits / bram_c["bits_per_block"])


def _pool_cost(spec: LayerSpec, coeffs: dict, clock_ns: float) -> LayerCost:
    lut_c, lat = coeffs["lut"], coeffs["latency"]
    items, features = max(1, spec.pool_items), spec.n_out
    width = spec.accum_bits or (spec.input_bits + clog2(items))
    levels = clog2(items)
    eff = _effective_clock(clock_ns, coeffs)
    if spec.kind == "pool_max":
        lut = lut_c["per_compare_bit"] * (items - 1) * features * spec.input_bits
        return _scale(LayerCost(spec.name, spec.kind, lut=lut, cycles=math.ceil(levels * lat["t_add_level_ns"] / eff)), spec, coeffs)
    # A sum is the mean's adder tree without the division.
    lut = lut_c["per_adder_bit"] * (items - 1) * features * width
    dsp = 0
    cycles = math.ceil(levels * lat["t_add_level_ns"] / eff)
    if spec.kind == "pool_avg" and items & (items - 1):  # not a power of two: a real constant division per feature
        if width >= coeffs["dsp"]["min_input_bits"]:
            dsp = features * _dsp_per_product(width, 18, coeffs)
            cycles += _dsp_cycles(coeffs, clock_ns)
        else:
            lut += lut_c["per_shift_add_bit"] * features * width * 3
    return _scale(LayerCost(spec.name, spec.kind, lut=lut, dsp=dsp, cycles=cycles, detail={"items": items}), spec, coeffs)


def _softmax_cost(spec: LayerSpec, coeffs: dict, clock_ns: float) -> LayerCost:
    """hls4ml's table softmax: exp table read per input (dual-port copies), one inverse table, n products."""
    lut_c, bram_c = coeffs["lut"], coeffs["bram"]
    n = spec.n_in
    # Blocks per table: Vitis HLS on UltraScale+ reports two 18 Kb blocks per 1024 x 18-bit table (nrp, 2022.2)
    blocks = _of_backend(bram_c.get("softmax_table_blocks_by_backend", {}), coeffs, bram_c["softmax_table_blocks"])
    tables = (math.ceil(n / 2) + 1) * blocks
    cost = LayerCost(spec.name, spec.kind, lut=lut_c["softmax_per_input"] * n, dsp=n, bram_18k=tables,
                     cycles=_softmax_cycles(coeffs, clock_ns))
    return _scale(cost, spec, coeffs)


def _softmax_cycles(coeffs: dict, clock_ns: float) -> int:
    """Cycles of hls4ml's table softmax: ``latency.softmax_ns`` over the effective clock."""
    return _cycles_of(coeffs["latency"]["softmax_ns"], coeffs, clock_ns)


def layer_cost(spec: LayerSpec, coeffs: dict, clock_ns: float) -> LayerCost:
    """Cost of one layer from its spec and the family coefficients."""
    if spec.kind == "dense":
        return _dense_cost(spec, coeffs, clock_ns)
    if spec.kind in ("pool_avg", "pool_max", "pool_sum"):
        return _pool_cost(spec, coeffs, clock_ns)
    if spec.kind == "softmax":
        return _softmax_cost(spec, coeffs, clock_ns)
    return _elementwise_cost(spec, coeffs, clock_ns)


def network_cost(specs: list[LayerSpec], coeffs: dict, clock_ns: float, source: str,
                 notes: list[str] | None = None) -> ResourceEstimate:
    """Sum the layers; latency along the longest chain of calls (:func:`top_level_cycles`); II = max."""
    costs = [layer_cost(spec, coeffs, clock_ns) for spec in specs]
    cycles = top_level_cycles(specs, costs, coeffs, clock_ns)
    ii = max((c.ii for c in costs), default=1)
    return ResourceEstimate.from_values(
        source,
        notes=notes,
        per_layer=[c.as_dict() for c in costs],
        lut=round(sum(c.lut for c in costs)),
        dsp=round(sum(c.dsp for c in costs)),
        ff=round(sum(c.ff for c in costs)),
        bram_18k=round(sum(c.bram_18k for c in costs)),
        latency_cycles=cycles,
        latency_ns=cycles * clock_ns,
        ii=ii,
    )


def instance_cycles(cost: LayerCost) -> float:
    """Latency the HLS report gives the layer's own function: its cycles less the one register the top level
    puts on its outputs (a layer that fits one clock is combinational, latency 0)."""
    return max(cost.cycles - 1, 0)


def top_level_cycles(specs: list[LayerSpec], costs: list[LayerCost], coeffs: dict, clock_ns: float) -> int:
    """Latency of the top function: along the longest chain of layer calls, each call's own latency
    (:func:`instance_cycles`) plus ``latency.t_call_ns`` of top-level logic per call boundary, cut at the
    effective clock, plus ``latency.io_cycles``. Two heads on one tensor run side by side; specs without
    hls4ml tensor names (pre-training) form one chain in list order."""
    lat = coeffs["latency"]
    per_call = lat["t_call_ns"] / _effective_clock(clock_ns, coeffs)
    wired = all(spec.output for spec in specs)
    reach: dict[str, float] = {}  # tensor -> longest chain (cycles, fractional) that produces it
    chain = 0.0
    for spec, cost in zip(specs, costs):
        before = max((reach.get(name, 0.0) for name in spec.inputs), default=0.0) if wired else chain
        chain = before + instance_cycles(cost) + per_call
        reach[spec.output] = chain
    longest = max(reach.values(), default=0.0) if wired else chain
    return math.ceil(longest - 1e-9) + lat["io_cycles"]
