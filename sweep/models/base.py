"""The model-family interface and registry (cf. keras-tuner's HyperModel)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

from hls_workers.records import DenseRecord, LayerQuant, NetworkRecord, PoolRecord
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
    #: Name of the Keras input layer.
    input_name: ClassVar[str] = "inputs"

    @abstractmethod
    def sample_architecture(self, sample: Callable[[str, str], Any]) -> dict[str, Any]:
        """Architecture dict from ``sample(name, kind)``, which returns one parameter's value."""

    @abstractmethod
    def dense_layers(self, architecture: dict[str, Any]) -> list[tuple[str, int, bool]]:
        """``(name, units, per_constituent)`` of every Dense layer, input to output (last = output layer)."""

    @abstractmethod
    def network(self, architecture: dict[str, Any], layer_quant: dict[str, LayerQuant],
                input_shape: tuple[int, ...], n_outputs: int, task: str) -> NetworkRecord:
        """The network as a per-layer record: what is built, converted and costed."""

    def describe(self, architecture: dict[str, Any]) -> str:
        """A short text of an architecture for tables, e.g. ``phi32,32 rho16 mean``."""
        parts = []
        for key, value in architecture.items():
            if isinstance(value, list):
                parts.append(f"{key}" + ",".join(map(str, value)))
            elif value is not None:
                parts.append(str(value))
        return " ".join(parts)

    def inputs(self, data: Any, architecture: dict[str, Any]) -> Any:
        """The prepared data this architecture reads (e.g. its leading constituents); all of it by default."""
        return data

    def build(self, design: Design, input_shape: tuple[int, ...], n_outputs: int, task: str) -> Any:
        """The Keras model of :meth:`network` (QKeras layers for QAT, float layers for PTQ)."""
        import tensorflow as tf
        from tensorflow.keras import layers

        record = self.network(design.architecture, design.layer_quant, input_shape, n_outputs, task)
        inputs = layers.Input(shape=input_shape, name=self.input_name)
        x = inputs
        for layer in record.layers:
            if isinstance(layer, PoolRecord):
                x = pool_layer(x, layer)
            else:
                x = dense_block(x, layer.name, layer.n_out, layer.quant, design.quantization == "qat", layer.relu)
        return tf.keras.Model(inputs, output_head(x, n_outputs, task), name=self.name)

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


def pool_layer(x: Any, pool: PoolRecord) -> Any:
    """The Keras global pooling of a :class:`PoolRecord`: hls4ml's own mean and max, and the sum layer that
    :mod:`hls_workers.extensions.sum_pooling` registers with hls4ml.

    Every item is pooled, padded ones too (docs/emulator.md, "Padded items"): a sum adds ``phi(pad)`` once
    per padded item, a mean averages it in.
    """
    from tensorflow.keras import layers

    if pool.op == "max":
        return layers.GlobalMaxPooling1D(name=pool.name)(x)
    if pool.op == "mean":
        return layers.GlobalAveragePooling1D(name=pool.name)(x)
    if pool.op == "sum":
        from hls_workers.extensions.sum_pooling import GlobalSumPooling1D

        return GlobalSumPooling1D(name=pool.name)(x)
    raise ValueError(f"unknown aggregation {pool.op!r}")


def dense_chain(names_units: list[tuple[str, int]], layer_quant: dict[str, LayerQuant], n_in: int,
                repeats: int = 1) -> list[DenseRecord]:
    """Dense records of consecutive ReLU layers ``(name, units)`` starting from ``n_in`` inputs."""
    records = []
    for name, units in names_units:
        records.append(DenseRecord(name, n_in, units, layer_quant[name], relu=True, repeats=repeats))
        n_in = units
    return records


def output_layer(layer_quant: dict[str, LayerQuant], n_in: int, n_outputs: int) -> DenseRecord:
    """The linear output Dense layer (``output``), softmax or not."""
    return DenseRecord("output", n_in, n_outputs, layer_quant["output"], relu=False)


def output_head(x: Any, n_outputs: int, task: str) -> Any:
    """Softmax for classification (skippable in hls4ml), linear for regression."""
    from tensorflow.keras import layers

    if task == "classification":
        return layers.Activation("softmax", name="output_softmax")(x)
    return x
