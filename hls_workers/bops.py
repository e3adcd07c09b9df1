"""Bit operations (BOPs): the hardware proxy used before real resource estimates exist.

For a dense layer with ``n_in`` inputs, ``nnz`` nonzero weights of ``b_w`` bits and inputs of ``b_a`` bits,
applied ``repeats`` times (once per constituent for a DeepSets phi layer in io_parallel):

    BOPs = repeats * nnz * (b_a * b_w + b_a + b_w + ceil(log2(n_in)))

The first term counts the partial products of every multiplication by a nonzero weight, the second the
width of the adder that accumulates it. Pruned (zero) weights cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from hls_workers.widths import adder_bits


@dataclass(frozen=True)
class DenseCost:
    """What BOPs need to know about one dense layer."""

    name: str
    n_in: int
    n_out: int
    nonzero_weights: int
    input_bits: int
    weight_bits: int
    repeats: int = 1


def layer_bops(layer: DenseCost) -> int:
    """BOPs of one layer (see module docstring)."""
    adder = adder_bits(layer.input_bits, layer.weight_bits, layer.n_in)
    per_weight = layer.input_bits * layer.weight_bits + adder
    return layer.repeats * layer.nonzero_weights * per_weight


def total_bops(layers: list[DenseCost]) -> int:
    """Sum of :func:`layer_bops` over a network."""
    return sum(layer_bops(layer) for layer in layers)
