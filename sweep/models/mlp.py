"""Fully connected network on the 16 high-level jet features (the hls4ml tutorial's 16-64-32-32-5)."""

from __future__ import annotations

from typing import Any, Callable

from sweep.design import Design
from sweep.models.base import ModelFamily, dense_block, output_head, register_family
from sweep.params import ParamDef


@register_family
class MLP(ModelFamily):
    name = "mlp"
    representation = "hlf"
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

    def build(self, design: Design, input_shape: tuple[int, ...], n_outputs: int, task: str) -> Any:
        import tensorflow as tf
        from tensorflow.keras import layers

        qat = design.quantization == "qat"
        inputs = layers.Input(shape=input_shape, name="features")
        x = inputs
        for name, units, _ in self.dense_layers(design.architecture)[:-1]:
            x = dense_block(x, name, units, design.layer_quant[name], qat, relu=True)
        x = dense_block(x, "output", n_outputs, design.layer_quant["output"], qat, relu=False)
        return tf.keras.Model(inputs, output_head(x, n_outputs, task), name="mlp")
