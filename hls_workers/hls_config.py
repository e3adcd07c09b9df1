"""Derive the hls4ml configuration of a trial from its design.

Every precision is set from the sampled bits, so the measured Keras-to-HLS gap is the design's own and
none of hls4ml's known pitfalls (DESIGN.md) can produce a fake one:
- global average pooling gets an accumulator that cannot overflow (hls4ml leaves it at ``fixed<16,6>``);
- weights are set explicitly, since QDense over constituents becomes a PointwiseConv1D whose QKeras
  quantizers hls4ml drops (the trainer also snaps weights onto their quantizer grid);
- softmax is skipped or emulated as the study says, never silently.
"""

from __future__ import annotations

import math
from typing import Any

from hls_workers.fixed_point import FixedType, parse_precision
from hls_workers.records import HardwareJob, LayerQuant

#: Keras layer class names that hls4ml turns into a Dense or a pointwise Conv1D.
DENSE_CLASSES = {"Dense", "QDense"}
ACTIVATION_CLASSES = {"Activation", "QActivation", "ReLU"}
AVERAGE_POOL_CLASSES = {"GlobalAveragePooling1D"}
MAX_POOL_CLASSES = {"GlobalMaxPooling1D"}


def weight_type(quant: LayerQuant, quantization: str) -> FixedType:
    """Weights and biases: QAT values already sit on the grid; PTQ rounds and saturates float weights."""
    if quantization == "qat":
        return FixedType(quant.weight_bits, quant.weight_int_bits + 1)
    return FixedType(quant.weight_bits, quant.weight_int_bits + 1, rounding="RND_CONV", overflow="SAT")


def activation_type(quant: LayerQuant) -> FixedType:
    """ReLU outputs: ``quantized_relu(bits, integer)`` rounds half to even and clips, i.e. RND_CONV/SAT."""
    return FixedType(quant.act_bits, quant.act_int_bits, signed=False, rounding="RND_CONV", overflow="SAT")


def average_pool_types(source: FixedType, n_items: int) -> tuple[FixedType, FixedType]:
    """Accumulator and result of a mean over ``n_items`` values of type ``source`` that lose nothing.

    hls4ml sums into the accumulator and then divides *in the accumulator type* (``y /= length``), so the
    accumulator needs ceil(log2 n) more integer bits for the sum and as many more fractional bits for the
    division; the mean itself needs only the extra fractional bits.
    """
    grow = max(1, math.ceil(math.log2(max(n_items, 2))))
    sign = 0 if source.signed else 1
    fractional = source.fractional + grow
    accum = FixedType(source.integer + grow + sign + fractional, source.integer + grow + sign)
    result = FixedType(source.integer + sign + fractional, source.integer + sign)
    return accum, result


def _inbound_name(layer: Any) -> str | None:
    nodes = getattr(layer, "_inbound_nodes", None) or []
    for node in nodes:
        inbound = node.inbound_layers
        inbound = inbound if isinstance(inbound, (list, tuple)) else [inbound]
        if inbound:
            return inbound[0].name
    return None


def build_hls_config(model: Any, job: HardwareJob) -> dict:
    """The ``hls_config`` dict for ``hls4ml.converters.convert_from_keras_model`` (granularity name)."""
    import hls4ml  # heavy: only inside the hardware stage

    settings = job.settings
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=settings.backend)
    # distributed_arithmetic designs are emulated as Latency (the same arithmetic) and costed by da4ml.
    strategy = "Resource" if job.strategy == "resource" else "Latency"
    config["Model"]["ReuseFactor"] = job.reuse_factor
    config["Model"]["Strategy"] = strategy
    config["Model"]["Precision"] = {"default": "fixed<16,6>"}
    layers: dict[str, dict] = config["LayerName"]
    output_types: dict[str, FixedType] = {}

    for layer in model.layers:
        cls = type(layer).__name__
        name = layer.name
        entry = layers.setdefault(name, {})
        precision = entry.setdefault("Precision", {})
        if not isinstance(precision, dict):
            precision = entry["Precision"] = {"result": precision}
        source = output_types.get(_inbound_name(layer) or "")

        if cls == "InputLayer":
            output_types[name] = parse_precision(settings.input_precision)
            precision["result"] = output_types[name].hls()
        elif cls in DENSE_CLASSES:
            quant = job.layer_quant[name]
            wtype = weight_type(quant, job.quantization).hls()
            precision.update(weight=wtype, bias=wtype, accum="auto", result="auto")
            entry["ReuseFactor"] = job.reuse_factor
            entry["Strategy"] = strategy
        elif cls in ACTIVATION_CLASSES and _is_softmax(layer):
            entry["Skip"] = settings.softmax == "skip"
        elif cls in ACTIVATION_CLASSES:
            owner = name.removesuffix("_act")
            if owner in job.layer_quant:
                output_types[name] = activation_type(job.layer_quant[owner])
                precision["result"] = output_types[name].hls()
        elif cls in AVERAGE_POOL_CLASSES:
            n_items = job.n_constituents or int(layer.input_shape[1])
            accum, result = average_pool_types(source or FixedType(16, 6), n_items)
            if settings.pool_accum_precision != "auto":
                accum = parse_precision(settings.pool_accum_precision)
            precision.update(accum=accum.hls(), result=result.hls())
            output_types[name] = result
        elif cls in MAX_POOL_CLASSES and source is not None:
            precision.update(accum=source.hls(), result=source.hls())
            output_types[name] = source
    return config


def _is_softmax(layer: Any) -> bool:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation)) == "softmax"
