"""Pair an estimate's layers with the instances of a C-synthesis report (``parse_csynth_rpt`` rows).

A report names each instance after its hls4ml function (``dense_latency_…``, ``relu_…``, ``softmax_…``); older
Vivado HLS versions drop the layer index from the name, so layers and instances of one kind are paired one to one
by their resources (DSP and LUT), never across kinds. A kind whose layer and instance counts differ is left
unpaired rather than guessed.
"""

from __future__ import annotations

import itertools
import math

#: Cost-model kind -> the function names its instances carry in a report.
INSTANCE_NAMES = {
    "dense": ("dense",),
    "relu": ("relu",),
    "softmax": ("softmax",),
    "activation": ("sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "hard_sigmoid"),
    "passthrough": ("linear",),
    "pool": ("pooling", "global"),  # pool_avg, pool_max and pool_sum alike
}
#: Above this many layers of one kind the pairing is greedy (largest first), not exhaustive.
EXHAUSTIVE_LIMIT = 7


def instance_kind(module: str) -> str | None:
    """The cost-model kind of a report instance, from its module name (None: not an hls4ml layer function)."""
    name = module.lower()
    for kind in ("dense", "relu", "softmax", "activation", "passthrough"):
        if any(part in name for part in INSTANCE_NAMES[kind]):
            return kind
    return "pool" if any(part in name for part in INSTANCE_NAMES["pool"]) else None


def _distance(layer: dict, instance: dict) -> float:
    return (abs(math.log((layer.get("dsp", 0) + 1) / (instance.get("dsp", 0) + 1)))
            + abs(math.log((layer.get("lut", 0) + 10) / (instance.get("lut", 0) + 10))))


def _pair_one_kind(layers: list[dict], instances: list[dict]) -> list[tuple[dict, dict]]:
    if len(layers) <= EXHAUSTIVE_LIMIT:
        best = min(itertools.permutations(instances),
                   key=lambda order: sum(_distance(layer, inst) for layer, inst in zip(layers, order)))
        return list(zip(layers, best))
    by_size = sorted(layers, key=lambda layer: (layer.get("dsp", 0), layer.get("lut", 0)), reverse=True)
    left = list(instances)
    pairs = []
    for layer in by_size:
        match = min(left, key=lambda inst: _distance(layer, inst))
        left.remove(match)
        pairs.append((layer, match))
    return pairs


def pair_instances(layers: list[dict], instances: list[dict], kinds: tuple[str, ...] | None = None
                   ) -> list[tuple[dict, dict]]:
    """(layer, instance) pairs, in the layers' order: each kind paired one to one by DSP and LUT when the
    report lists as many instances of that kind as there are layers. ``kinds`` limits the kinds paired."""
    pairs: list[tuple[dict, dict]] = []
    for kind in sorted({layer["kind"] for layer in layers}):
        if kinds is not None and kind not in kinds:
            continue
        mine = [layer for layer in layers if layer["kind"] == kind]
        wanted = "pool" if kind.startswith("pool") else kind
        theirs = [inst for inst in instances if instance_kind(inst.get("module", "")) == wanted]
        if mine and len(mine) == len(theirs):
            pairs.extend(_pair_one_kind(mine, theirs))
    order = {id(layer): i for i, layer in enumerate(layers)}
    return sorted(pairs, key=lambda pair: order[id(pair[0])])
