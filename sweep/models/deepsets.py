"""DeepSets over jet constituents: per-constituent phi network, permutation-invariant pooling, rho network.

The l1-jet-id reference: phi [32, 32, 32], rho [32], mean or max aggregation.
"""

from __future__ import annotations

from typing import Any, Callable

from sweep.design import Design
from sweep.models.base import ModelFamily, dense_block, output_head, register_family
from sweep.params import ParamDef

AGGREGATIONS = ("mean", "max")


@register_family
class DeepSets(ModelFamily):
    name = "deepsets"
    representation = "constituents"
    pools = True
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

    def first_after_pool(self, architecture: dict[str, Any]) -> str | None:
        return "rho_0" if architecture["rho"] else "output"

    def build(self, design: Design, input_shape: tuple[int, ...], n_outputs: int, task: str) -> Any:
        import tensorflow as tf
        from tensorflow.keras import layers

        qat = design.quantization == "qat"
        inputs = layers.Input(shape=input_shape, name="constituents")
        x = inputs
        for name, units, _ in self.dense_layers(design.architecture)[:-1]:
            if name == "rho_0":
                x = _pool(x, design.architecture["aggregation"])
            x = dense_block(x, name, units, design.layer_quant[name], qat, relu=True)
        if not design.architecture["rho"]:
            x = _pool(x, design.architecture["aggregation"])
        x = dense_block(x, "output", n_outputs, design.layer_quant["output"], qat, relu=False)
        return tf.keras.Model(inputs, output_head(x, n_outputs, task), name="deepsets")


def _pool(x: Any, aggregation: str) -> Any:
    from tensorflow.keras import layers

    if aggregation == "max":
        return layers.GlobalMaxPooling1D(name="pool")(x)
    return layers.GlobalAveragePooling1D(name="pool")(x)
