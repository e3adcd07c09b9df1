"""Logic the HLS tool removes before binding: constant and unused elements of pruned MLPs.

A dense output whose weights are all zero is its bias, a constant; an activation of a constant is a
constant, and a product of a constant with a weight folds into the next layer's bias. An output that no
later product reads (its row of the next layer's weights is all zero) is dead code, and so are the
products and the adder tree that computed it. C synthesis removes both before it binds operators, so
the estimate must not count them. Recorded evidence (docs/estimate_residuals.md): Hector-Plata's 75 %
pruned jet tagger at RF 64 (fit set) reports 81 LUT per *live* ReLU output in all three ReLU layers
(58 / 27 / 25 of 64 / 32 / 32 outputs), and pominiq's pruned RF 8 / RF 16 runs report 28 LUT per
output that is both non-constant and read (51 and 59 of 128).

Only chains of the form dense → element-wise layers → dense are followed (one copy, one pass, Latency
strategy), along hls4ml's tensors: a tensor read by two layers (two heads), by a layer the cost model does
not know, or as a model output keeps all its elements. DeepSets phi layers and pooling are left as they are.
"""

from __future__ import annotations

import numpy as np

from hls_workers.estimate.cost_model import LayerSpec

#: Layers that act on each element alone: a constant in stays a constant, an unused output is an unused input.
ELEMENTWISE = {"relu", "activation", "passthrough"}


def _is_plain_dense(spec: LayerSpec) -> bool:
    return (spec.kind == "dense" and spec.codes is not None and spec.repeats == 1 and spec.passes == 1
            and spec.strategy == "latency")


#: (dense index, element-wise indices after it, the dense layers reading the chain's end, or None when
#: something else reads it too and every element counts as used)
Chain = tuple[int, list[int], list[int] | None]


def _chains(specs: list[LayerSpec], external: set[str]) -> list[Chain]:
    """The chains along hls4ml's tensors: a chain goes on through element-wise layers while its tensor has
    exactly one reader and ends at the dense layers that read it (two heads: both). A tensor read by a layer
    the model does not cost, or as a model output, ends it with every element used (readers None)."""
    readers: dict[str, list[int | None]] = {}
    for index, spec in enumerate(specs):
        for tensor in spec.inputs:
            readers.setdefault(tensor, []).append(index)
    for tensor in external:
        readers.setdefault(tensor, []).append(None)
    chains = []
    for i, spec in enumerate(specs):
        if not _is_plain_dense(spec):
            continue
        between, tensor = [], spec.output
        reading = readers.get(tensor, [])
        while len(reading) == 1 and reading[0] is not None and specs[reading[0]].kind in ELEMENTWISE \
                and specs[reading[0]].n_out == spec.n_out and len(specs[reading[0]].inputs) == 1:
            between.append(reading[0])
            tensor = specs[reading[0]].output
            reading = readers.get(tensor, [])
        dense_readers = [j for j in reading if j is not None and _is_plain_dense(specs[j])
                         and specs[j].n_in == spec.n_out and len(specs[j].inputs) == 1]
        chains.append((i, between, dense_readers if reading and len(dense_readers) == len(reading) else None))
    return chains


def mark_dead_logic(specs: list[LayerSpec], external: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Set ``removed`` (dense: weights whose products the tool drops) and ``active_elements`` (element-wise
    layers) on ``specs``, in place; return one note per layer that lost logic. ``external``: tensors read
    by something the specs do not describe (model outputs, layers the cost model skips)."""
    chains = _chains(specs, set(external))
    if not chains:
        return []
    live = {i: np.asarray(specs[i].codes).reshape(specs[i].n_in, specs[i].n_out) != 0 for i, _, _ in chains}
    changed = True
    while changed:  # constants forward, unused outputs backward, until nothing moves
        changed = False
        for i, _, readers in chains:
            if not readers:
                continue
            constant = ~live[i].any(axis=0)  # outputs of layer i that are its bias alone
            for j in readers:
                if constant.any() and live[j][constant].any():
                    live[j][constant] = False
                    changed = True
            unused = np.logical_and.reduce([~live[j].any(axis=1) for j in readers])  # read by no product
            if unused.any() and live[i][:, unused].any():
                live[i][:, unused] = False
                changed = True
    notes = []
    for i, between, readers in chains:
        spec = specs[i]
        original = np.asarray(spec.codes).reshape(spec.n_in, spec.n_out) != 0
        removed = original & ~live[i]
        if removed.any():
            spec.removed = removed
            notes.append(f"{spec.name}: {int(removed.sum())} of {int(original.sum())} products feed only constant "
                         "or unused outputs (removed by the HLS tool)")
        built = live[i].any(axis=0)
        if readers:
            built = built & np.logical_or.reduce([live[j].any(axis=1) for j in readers])
        active = int(built.sum())
        for j in between:
            if active < specs[j].n_out:
                specs[j].active_elements = active
                notes.append(f"{specs[j].name}: {specs[j].n_out - active} of {specs[j].n_out} elements constant "
                             "or unused (removed by the HLS tool)")
    return notes
