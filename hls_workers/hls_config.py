"""Derive the hls4ml configuration of a model from its design: the one config builder.

A trial and ``sweep estimate`` both convert through it. Every precision of a layer the design names is set
from the sampled bits, so the measured Keras-to-HLS gap is the design's own and none of hls4ml's known
pitfalls (DESIGN.md) can produce a fake one:
- global average pooling and the sum aggregation (:mod:`hls_workers.extensions.sum_pooling`) get an
  accumulator that cannot overflow (hls4ml leaves it at ``fixed<16,6>``, and infers nothing for the sum);
- weights are set explicitly, since QDense over constituents becomes a PointwiseConv1D whose QKeras
  quantizers hls4ml drops (the trainer also snaps weights onto their quantizer grid);
- softmax is skipped or emulated as the study says, never silently.
Layers the design does not name keep their QKeras quantizers, or get ``job.float_precision`` when float.
The width rules themselves live in :mod:`hls_workers.widths`.
"""

from __future__ import annotations

from typing import Any

from hls_workers.fixed_point import FixedType, parse_precision
from hls_workers.records import HardwareJob
from hls_workers.strategy import hls4ml_strategy
from hls_workers.widths import activation_type, average_pool_types, pool_types, weight_type

__all__ = ["activation_type", "average_pool_types", "build_hls_config", "weight_type"]

#: Keras layer class names that hls4ml turns into a Dense or a pointwise Conv1D.
DENSE_CLASSES = {"Dense", "QDense", "Conv1D", "QConv1D"}
ACTIVATION_CLASSES = {"Activation", "QActivation", "ReLU"}
#: Keras global pooling class → the aggregation it computes.
POOL_OPS = {"GlobalAveragePooling1D": "mean", "GlobalMaxPooling1D": "max", "GlobalSumPooling1D": "sum"}


def _inbound_name(layer: Any) -> str | None:
    nodes = getattr(layer, "_inbound_nodes", None) or []
    for node in nodes:
        inbound = node.inbound_layers
        inbound = inbound if isinstance(inbound, (list, tuple)) else [inbound]
        if inbound:
            return inbound[0].name
    return None


def _is_quantized(layer: Any) -> bool:
    return type(layer).__name__.startswith("Q") or getattr(layer, "kernel_quantizer", None) is not None


def build_hls_config(model: Any, job: HardwareJob) -> dict:
    """The ``hls_config`` dict for ``hls4ml.converters.convert_from_keras_model`` (granularity name)."""
    import hls4ml  # heavy: only inside the hardware stage

    from hls_workers.extensions import sum_pooling

    sum_pooling.register()  # config_from_keras_model parses the model: custom layers must be known
    settings = job.settings
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=settings.backend,
                                                  default_precision=job.float_precision)
    strategy = hls4ml_strategy(job.strategy)
    config["Model"]["ReuseFactor"] = job.reuse_factor
    config["Model"]["Strategy"] = strategy
    config["Model"]["Precision"] = {"default": job.float_precision}
    layers: dict[str, dict] = config["LayerName"]
    output_types: dict[str, FixedType] = {}
    float_t = parse_precision(job.float_precision)

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
            entry["ReuseFactor"] = job.reuse_factor
            entry["Strategy"] = strategy
            if name in job.layer_quant:
                wtype = weight_type(job.layer_quant[name], job.quantization).hls()
                precision.update(weight=wtype, bias=wtype, accum="auto", result="auto")
            elif not _is_quantized(layer):
                precision.update(weight=float_t.hls(), bias=float_t.hls(), accum=float_t.hls(), result=float_t.hls())
                output_types[name] = float_t
        elif cls in ACTIVATION_CLASSES and _is_softmax(layer):
            entry["Skip"] = settings.softmax == "skip"
            precision["result"] = float_t.hls()
        elif cls in ACTIVATION_CLASSES:
            owner = name.removesuffix("_act")
            if owner in job.layer_quant:
                output_types[name] = activation_type(job.layer_quant[owner])
                precision["result"] = output_types[name].hls()
            elif not _is_quantized(layer):
                output_types[name] = float_t
                precision["result"] = float_t.hls()
        elif cls in POOL_OPS:
            items = int(layer.input_shape[1])  # the set size the model was built for
            accum, result = pool_types(POOL_OPS[cls], source or float_t, items)
            if POOL_OPS[cls] in ("mean", "sum") and settings.pool_accum_precision != "auto":
                accum = parse_precision(settings.pool_accum_precision)
            precision.update(accum=accum.hls(), result=result.hls())
            output_types[name] = result
    return config


def _is_softmax(layer: Any) -> bool:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation)) == "softmax"
