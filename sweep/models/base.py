"""The model-family interface and registry (cf. keras-tuner's HyperModel)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

from hls_workers.records import LayerQuant
from sweep.design import Design
from sweep.params import ParamDef, ParamSpec, suggest

_REGISTRY: dict[str, type["ModelFamily"]] = {}


def register_family(cls: type["ModelFamily"]) -> type["ModelFamily"]:
    """Class decorator: make a family available to study files by its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def registered_families() -> list[str]:
    return sorted(_REGISTRY)


def get_family(name: str) -> "ModelFamily":
    if name not in _REGISTRY:
        raise KeyError(f"unknown model family {name!r}; known: {', '.join(registered_families())}")
    return _REGISTRY[name]()


class ModelFamily(ABC):
    """A family of networks: its architecture parameters, its layers, and how to build one."""

    name: ClassVar[str]
    #: Which prepared input it consumes: constituent lists or high-level features.
    representation: ClassVar[str]
    #: Architecture parameters this family adds to the search space.
    params: ClassVar[tuple[ParamDef, ...]]
    #: Whether the network aggregates over a set (then da4ml, which costs Dense chains, cannot cost it).
    pools: ClassVar[bool] = False

    @abstractmethod
    def sample_architecture(self, sample: Callable[[str, str], Any]) -> dict[str, Any]:
        """Architecture dict from ``sample(name, kind)``, which returns one parameter's value."""

    @abstractmethod
    def dense_layers(self, architecture: dict[str, Any]) -> list[tuple[str, int, bool]]:
        """``(name, units, per_constituent)`` of every Dense layer, input to output (last = output layer)."""

    def first_after_pool(self, architecture: dict[str, Any]) -> str | None:
        """Name of the Dense layer that reads the pooled (aggregated) tensor, if the family pools."""
        return None

    @abstractmethod
    def build(self, design: Design, input_shape: tuple[int, ...], n_outputs: int, task: str) -> Any:
        """The Keras model (QKeras layers for QAT, float layers for PTQ)."""

    def sample(self, trial: Any, specs: dict[str, ParamSpec]) -> dict[str, Any]:
        """Architecture of one trial; parameters named ``<param>_<i>`` are sampled per layer."""
        kinds = {p.name: p.kind for p in self.params}

        def sample_one(name: str, base: str) -> Any:
            if base not in specs:  # a parameter without default that the study does not search
                return None
            return suggest(trial, name, specs[base], kinds[base])

        return self.sample_architecture(sample_one)


def dense_block(x: Any, name: str, units: int, quant: LayerQuant, qat: bool, relu: bool) -> Any:
    """One Dense (QDense for QAT) layer named ``name``, with ``<name>_act`` ReLU when ``relu``.

    QAT: weights/biases ``quantized_bits(bits, int, alpha=1)``, activations ``quantized_relu(bits, int)``.
    PTQ: float layers; fixed point is assigned only in hls4ml.
    """
    from tensorflow.keras import layers

    if qat:
        from qkeras import QActivation, QDense, quantized_bits, quantized_relu

        quantizer = quantized_bits(quant.weight_bits, quant.weight_int_bits, alpha=1)
        x = QDense(units, kernel_quantizer=quantizer, bias_quantizer=quantizer, name=name)(x)
        if relu:
            x = QActivation(quantized_relu(quant.act_bits, quant.act_int_bits), name=f"{name}_act")(x)
        return x
    x = layers.Dense(units, name=name)(x)
    if relu:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    return x


def output_head(x: Any, n_outputs: int, task: str) -> Any:
    """Softmax for classification (skippable in hls4ml), linear for regression."""
    from tensorflow.keras import layers

    if task == "classification":
        return layers.Activation("softmax", name="output_softmax")(x)
    return x
