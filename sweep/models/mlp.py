"""Fully connected network on the 16 high-level jet features (the hls4ml tutorial's 16-64-32-32-5)."""

from __future__ import annotations

from typing import Any, Callable

from hls_workers.records import LayerQuant, NetworkRecord
from sweep.models.base import ModelFamily, dense_chain, output_layer, register_family
from sweep.params import ParamDef


@register_family
class MLP(ModelFamily):
    name = "mlp"
    representation = "hlf"
    input_name = "features"
    params = (
        ParamDef("n_layers", "int", 3, minimum=1, help="number of hidden layers"),
        ParamDef("width", "int", 32, minimum=1, help="width of each hidden layer (sampled per layer)"),
    )

    def sample_architecture(self, sample: Callable[[str, str], Any]) -> dict[str, Any]:
        n_layers = int(sample("n_layers", "n_layers"))
        return {"hidden": [int(sample(f"width_{i}", "width")) for i in range(n_layers)]}

    def dense_layers(self, architecture: dict[str, Any]) -> list[tuple[str, int, bool]]:
        hidden = [(f"dense_{i}", w, False) for i, w in enumerate(architecture["hidden"])]
        return [*hidden, ("output", 0, False)]

    def network(self, architecture: dict[str, Any], layer_quant: dict[str, LayerQuant],
                input_shape: tuple[int, ...], n_outputs: int, task: str) -> NetworkRecord:
        hidden = dense_chain([(f"dense_{i}", w) for i, w in enumerate(architecture["hidden"])], layer_quant,
                             int(input_shape[-1]))
        last = hidden[-1].n_out if hidden else int(input_shape[-1])
        return NetworkRecord((*hidden, output_layer(layer_quant, last, n_outputs)),
                             softmax=task == "classification")
