"""Logic the HLS tool removes before binding: constant and unused elements of pruned MLPs.

A dense output whose weights are all zero is its bias, a constant; an activation of a constant is a
constant, and a product of a constant with a weight folds into the next layer's bias. An output that no
later product reads (its row of the next layer's weights is all zero) is dead code, and so are the
products and the adder tree that computed it. C synthesis removes both before it binds operators, so
the estimate must not count them. Recorded evidence (docs/estimate_residuals.md): Hector-Plata's 75 %
pruned jet tagger at RF 64 (fit set) reports 81 LUT per *live* ReLU output in all three ReLU layers
(58 / 27 / 25 of 64 / 32 / 32 outputs), and pominiq's pruned RF 8 / RF 16 runs report 28 LUT per
output that is both non-constant and read (51 and 59 of 128).

Only chains of the flat form dense → element-wise layers → dense are followed (one copy, one pass, Latency
strategy, no layer the cost model does not know in between); DeepSets phi layers and pooling are left as
they are.
"""

from __future__ import annotations

import numpy as np

from hls_workers.estimate.cost_model import LayerSpec

#: Layers that act on each element alone: a constant in stays a constant, an unused output is an unused input.
ELEMENTWISE = {"relu", "activation", "passthrough"}


def _is_plain_dense(spec: LayerSpec) -> bool:
    return (spec.kind == "dense" and spec.codes is not None and spec.repeats == 1 and spec.passes == 1
            and spec.strategy == "latency")


def _chains(specs: list[LayerSpec]) -> list[tuple[int, list[int], int | None]]:
    """(dense index, element-wise indices after it, next dense index or None) for each plain dense layer."""
    chains = []
    for i, spec in enumerate(specs):
        if not _is_plain_dense(spec):
            continue
        between, j = [], i + 1
        while (j < len(specs) and specs[j].kind in ELEMENTWISE and specs[j].n_out == spec.n_out
               and not specs[j].after_unmodelled):
            between.append(j)
            j += 1
        follows = j < len(specs) and not specs[j].after_unmodelled
        nxt = j if follows and _is_plain_dense(specs[j]) and specs[j].n_in == spec.n_out else None
        chains.append((i, between, nxt))
    return chains


def mark_dead_logic(specs: list[LayerSpec]) -> list[str]:
    """Set ``removed`` (dense: weights whose products the tool drops) and ``active_elements`` (element-wise
    layers) on ``specs``, in place; return one note per layer that lost logic."""
    chains = _chains(specs)
    if not chains:
        return []
    live = {i: np.asarray(specs[i].codes).reshape(specs[i].n_in, specs[i].n_out) != 0 for i, _, _ in chains}
    changed = True
    while changed:  # constants forward, unused outputs backward, until nothing moves
        changed = False
        for i, _, nxt in chains:
            if nxt is None or nxt not in live:
                continue
            constant = ~live[i].any(axis=0)  # outputs of layer i that are its bias alone
            unused = ~live[nxt].any(axis=1)  # inputs of the next layer that no product reads
            if constant.any() and live[nxt][constant].any():
                live[nxt][constant] = False
                changed = True
            if unused.any() and live[i][:, unused].any():
                live[i][:, unused] = False
                changed = True
    notes = []
    for i, between, nxt in chains:
        spec = specs[i]
        original = np.asarray(spec.codes).reshape(spec.n_in, spec.n_out) != 0
        removed = original & ~live[i]
        if removed.any():
            spec.removed = removed
            notes.append(f"{spec.name}: {int(removed.sum())} of {int(original.sum())} products feed only constant "
                         "or unused outputs (removed by the HLS tool)")
        active = int(live[i].any(axis=0).sum())
        if nxt is not None and nxt in live:
            active = int((live[i].any(axis=0) & live[nxt].any(axis=1)).sum())
        for j in between:
            if active < specs[j].n_out:
                specs[j].active_elements = active
                notes.append(f"{specs[j].name}: {specs[j].n_out - active} of {specs[j].n_out} elements constant "
                             "or unused (removed by the HLS tool)")
    return notes
