"""DeepSets over jet constituents: per-constituent phi network, permutation-invariant pooling, rho network.

The l1-jet-id reference: phi [32, 32, 32], rho [32], mean or max aggregation; ``sum`` (the ATLAS L0
calorimeter users' aggregation) goes through hls4ml's Extension API (:mod:`hls_workers.extensions.sum_pooling`).
"""

from __future__ import annotations

from typing import Any, Callable

from hls_workers.records import LayerQuant, NetworkRecord, PoolRecord
from sweep.models.base import ModelFamily, dense_chain, output_layer, register_family
from sweep.params import ParamDef

AGGREGATIONS = ("mean", "max", "sum")


@register_family
class DeepSets(ModelFamily):
    name = "deepsets"
    representation = "constituents"
    pools = True
    input_name = "constituents"
    params = (
        ParamDef("n_constituents", "int", None, minimum=1,
                 help="leading constituents fed to the network (default: all of data.n_constituents)"),
        ParamDef("phi_layers", "int", 2, minimum=1, help="number of phi (per-constituent) layers"),
        ParamDef("phi_width", "int", 16, minimum=1, help="width of each phi layer (sampled per layer)"),
        ParamDef("rho_layers", "int", 1, minimum=0, help="number of rho layers after pooling"),
        ParamDef("rho_width", "int", 16, minimum=1, help="width of each rho layer (sampled per layer)"),
        ParamDef("aggregation", "cat", "mean", allowed=AGGREGATIONS, help="pooling over constituents"),
    )

    def sample_architecture(self, sample: Callable[[str, str], Any]) -> dict[str, Any]:
        n_phi = int(sample("phi_layers", "phi_layers"))
        n_rho = int(sample("rho_layers", "rho_layers"))
        n_constituents = sample("n_constituents", "n_constituents")
        return {
            "n_constituents": None if n_constituents is None else int(n_constituents),
            "phi": [int(sample(f"phi_width_{i}", "phi_width")) for i in range(n_phi)],
            "rho": [int(sample(f"rho_width_{i}", "rho_width")) for i in range(n_rho)],
            "aggregation": str(sample("aggregation", "aggregation")),
        }

    def dense_layers(self, architecture: dict[str, Any]) -> list[tuple[str, int, bool]]:
        phi = [(f"phi_{i}", w, True) for i, w in enumerate(architecture["phi"])]
        rho = [(f"rho_{i}", w, False) for i, w in enumerate(architecture["rho"])]
        return [*phi, *rho, ("output", 0, False)]

    def describe(self, architecture: dict[str, Any]) -> str:
        rest = {k: v for k, v in architecture.items() if k != "n_constituents"}
        count = architecture.get("n_constituents")
        return (f"n{count} " if count else "") + super().describe(rest)

    def inputs(self, data: Any, architecture: dict[str, Any]) -> Any:
        return data.leading_constituents(architecture.get("n_constituents"))

    def network(self, architecture: dict[str, Any], layer_quant: dict[str, LayerQuant],
                input_shape: tuple[int, ...], n_outputs: int, task: str) -> NetworkRecord:
        items, features = int(input_shape[0]), int(input_shape[-1])
        phi = dense_chain([(f"phi_{i}", w) for i, w in enumerate(architecture["phi"])], layer_quant, features,
                          repeats=items)
        pooled = phi[-1].n_out if phi else features
        pool = PoolRecord("pool", architecture["aggregation"], items, pooled)
        rho = dense_chain([(f"rho_{i}", w) for i, w in enumerate(architecture["rho"])], layer_quant, pooled)
        last = rho[-1].n_out if rho else pooled
        layers = (*phi, pool, *rho, output_layer(layer_quant, last, n_outputs))
        return NetworkRecord(layers, softmax=task == "classification")
