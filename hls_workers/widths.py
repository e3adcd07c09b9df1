"""Fixed-point width rules of hls4ml layers, each written once.

Used by the hls4ml configuration of a trial (:mod:`hls_workers.hls_config`), the BOPs and pre-training
estimate of a design (:mod:`hls_workers.network_cost`) and the analytic cost model
(:mod:`hls_workers.estimate.cost_model`), so the three agree on every width.
"""

from __future__ import annotations

import math

from hls_workers.fixed_point import FixedType
from hls_workers.records import LayerQuant


def clog2(n: float) -> int:
    """ceil(log2(n)) for n > 1, else 0: the extra bits a sum of ``n`` terms needs."""
    return int(math.ceil(math.log2(n))) if n > 1 else 0


def adder_bits(input_bits: int, weight_bits: int, n_in: int) -> int:
    """Width of the adder that sums ``n_in`` products of an ``input_bits`` input and a ``weight_bits`` weight."""
    return input_bits + weight_bits + clog2(n_in)


def weight_type(quant: LayerQuant, quantization: str) -> FixedType:
    """Weights and biases: QAT values already sit on the grid; PTQ rounds and saturates float weights."""
    if quantization == "qat":
        return FixedType(quant.weight_bits, quant.weight_int_bits + 1)
    return FixedType(quant.weight_bits, quant.weight_int_bits + 1, rounding="RND_CONV", overflow="SAT")


def activation_type(quant: LayerQuant) -> FixedType:
    """ReLU outputs: ``quantized_relu(bits, integer)`` rounds half to even and clips, i.e. RND_CONV/SAT."""
    return FixedType(quant.act_bits, quant.act_int_bits, signed=False, rounding="RND_CONV", overflow="SAT")


def average_pool_types(source: FixedType, n_items: int) -> tuple[FixedType, FixedType]:
    """Accumulator and result of a mean over ``n_items`` values of type ``source`` that lose nothing.

    hls4ml sums into the accumulator and then divides *in the accumulator type* (``y /= length``), so the
    accumulator needs ceil(log2 n) more integer bits for the sum and as many more fractional bits for the
    division; the mean itself needs only the extra fractional bits. An unsigned source gets a sign bit
    (hls4ml's pooling accumulators are signed).
    """
    grow = max(1, clog2(n_items))
    sign = 0 if source.signed else 1
    fractional = source.fractional + grow
    accum = FixedType(source.integer + grow + sign + fractional, source.integer + grow + sign)
    result = FixedType(source.integer + sign + fractional, source.integer + sign)
    return accum, result


def sum_pool_types(source: FixedType, n_items: int) -> tuple[FixedType, FixedType]:
    """Accumulator and result of a sum over ``n_items`` values of type ``source`` that lose nothing.

    A sum of ``n`` values needs ceil(log2 n) more integer bits and no more fractional bits; accumulator and
    result are that one type (the sum layer converts the accumulator to the result once, at the end). As for
    the mean, an unsigned source gets a sign bit (pooling accumulators are signed).
    """
    sign = 0 if source.signed else 1
    grow = clog2(n_items) + sign
    total = FixedType(source.width + grow, source.integer + grow)
    return total, total


def pool_types(op: str, source: FixedType, n_items: int) -> tuple[FixedType, FixedType]:
    """Accumulator and result of a global pooling (``mean``, ``max`` or ``sum``) over ``n_items`` values of ``source``.

    A maximum needs no growth: accumulator and result keep the source type.
    """
    if op == "max":
        return source, source
    if op == "mean":
        return average_pool_types(source, n_items)
    if op == "sum":
        return sum_pool_types(source, n_items)
    raise ValueError(f"unknown pooling {op!r}; one of mean, max, sum")
