"""Walk a converted hls4ml ``ModelGraph`` and evaluate it with :mod:`.layers`, batched over samples.

:func:`build_plan` reads every precision from the hls4ml layer objects (``layer.types``,
``layer.weights``, the generated ``config_cpp``) and the weights exactly as hls4ml writes them to
``firmware/weights/*.txt`` (decimal strings with as many digits as the type has fractional bits, read
back by ``ap_fixed(double)``). Anything it does not reproduce raises :class:`UnsupportedGraph` with the
reason, so a caller can fall back to hls4ml's compiled emulator instead of reporting a wrong number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from hls_workers.fixed_point import FixedType, PrecisionError, from_hls, parse_precision
from hls_workers.numpy_emulator import layers as L
from hls_workers.numpy_emulator.fixed import from_float, to_float, unsupported_reason
from hls_workers.numpy_emulator.softmax import SoftmaxConfig, softmax
from hls_workers.numpy_emulator.softmax import unsupported_reason as softmax_unsupported


class UnsupportedGraph(Exception):
    """The graph has a layer, option or precision the numpy emulator does not reproduce."""


#: Raw integers of the layer input (N, *shape) -> raw integers of its output.
StepFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class Step:
    """One layer: where it reads, where it writes, the output shape per sample and the computation."""

    name: str
    kind: str
    source: str
    target: str
    shape: tuple[int, ...]
    result_t: FixedType
    run: StepFn


@dataclass
class EmulationPlan:
    """Everything needed to emulate the graph, computed once per converted model."""

    input_name: str
    input_t: FixedType
    input_shape: tuple[int, ...]
    steps: list[Step]
    output_name: str
    output_t: FixedType


def fixed_type(precision: Any, what: str) -> FixedType:
    """The :class:`FixedType` of an hls4ml precision (:func:`~hls_workers.fixed_point.from_hls`) that this
    emulator can hold exactly, else :class:`UnsupportedGraph`."""
    try:
        t = from_hls(precision)
    except PrecisionError as exc:
        raise UnsupportedGraph(f"{what}: {exc}") from None
    problem = unsupported_reason(t)
    if problem:
        raise UnsupportedGraph(f"{what}: {problem}")
    return t


def _type(layer: Any, key: str) -> FixedType:
    if key not in layer.types:
        raise UnsupportedGraph(f"{layer.name}: no {key}")
    return fixed_type(layer.types[key].precision, f"{layer.name}.{key}")


def written_weights(layer: Any, key: str) -> tuple[np.ndarray, FixedType]:
    """Raw integers of a weight array as the compiled C++ holds them, in hls4ml's (possibly transposed) layout."""
    var = layer.weights[key]
    t = fixed_type(var.type.precision, f"{layer.name}.{key}")
    literals = [float(text) for text in var]  # the exact strings hls4ml writes
    values = np.asarray(literals, dtype=np.float64).reshape(np.shape(var.data))
    return from_float(values, t), t


def _config_value(layer: Any, key: str) -> str | None:
    match = re.search(rf"\b{key}\s*=\s*([^;]+);", layer.get_attr("config_cpp") or "")
    return match.group(1).strip() if match else None


def _config_typedef(layer: Any, alias: str) -> str | None:
    match = re.search(rf"typedef\s+(.+?)\s+{alias}\s*;", layer.get_attr("config_cpp") or "")
    return match.group(1).strip() if match else None


def _check_kernel(layer: Any, accum_t: FixedType) -> None:
    """Accumulation order matters only for a saturating accumulator: then only the latency kernels."""
    config = layer.get_attr("config_cpp") or ""
    products = set(re.findall(r"product::(\w+)<", config))
    if products - {"mult"}:
        raise UnsupportedGraph(f"{layer.name}: product {', '.join(sorted(products))}")
    kernels = set(re.findall(r"nnet::(\w+)<data_T, res_T, CONFIG_T>", config))
    known = {"DenseLatency", "Conv1DLatency", "BatchedDenseForConv1D", "DenseResource_rf_leq_nin",
             "DenseResource_rf_gt_nin_rem0", "DenseResource_rf_gt_nin", "Conv1DResource"}
    if kernels - known:
        raise UnsupportedGraph(f"{layer.name}: kernel {', '.join(sorted(kernels - known))}")
    if accum_t.overflow != "WRAP" and kernels - {"DenseLatency", "Conv1DLatency", "BatchedDenseForConv1D"}:
        raise UnsupportedGraph(f"{layer.name}: saturating accumulator {accum_t.hls()} with a resource kernel")


def _dense_weights(layer: Any, conv: bool) -> tuple[np.ndarray, FixedType, np.ndarray, FixedType]:
    w, w_t = written_weights(layer, "weight")
    b, b_t = written_weights(layer, "bias")
    transposed = bool(layer.get_attr("_weights_transposed", False))
    if conv:  # (filt_width=1, n_chan, n_filt), or (n_filt, 1, n_chan) after the resource transpose
        w = np.transpose(w, (1, 2, 0)) if transposed else w
        w = w.reshape(w.shape[-2], w.shape[-1])
    elif transposed:
        w = w.T
    return np.ascontiguousarray(w), w_t, b.reshape(-1), b_t


def _plan_dense(layer: Any, x_t: FixedType, in_shape: tuple[int, ...], conv: bool) -> tuple[StepFn, tuple[int, ...]]:
    accum_t, result_t = _type(layer, "accum_t"), _type(layer, "result_t")
    _check_kernel(layer, accum_t)
    w, w_t, b, b_t = _dense_weights(layer, conv)
    if x_t.width + w_t.width > 62:
        raise UnsupportedGraph(f"{layer.name}: products of {x_t.hls()} x {w_t.hls()} exceed 62 bits")
    n_in, n_out = w.shape
    if conv:
        geometry = [layer.get_attr(k) for k in ("filt_width", "stride_width", "pad_left", "pad_right")]
        if geometry != [1, 1, 0, 0] or tuple(in_shape) != (layer.get_attr("in_width"), n_in):
            raise UnsupportedGraph(f"{layer.name}: pointwise conv geometry {geometry} on {in_shape}")
        width = in_shape[0]

        def run(x: np.ndarray) -> np.ndarray:
            y = L.dense(x.reshape(-1, n_in), x_t, w, w_t, b, b_t, accum_t, result_t)
            return y.reshape(len(x), width, n_out)

        return run, (width, n_out)
    if int(np.prod(in_shape)) != n_in:
        raise UnsupportedGraph(f"{layer.name}: dense over input shape {in_shape}")

    def run_dense(x: np.ndarray) -> np.ndarray:
        return L.dense(x.reshape(len(x), n_in), x_t, w, w_t, b, b_t, accum_t, result_t)

    return run_dense, (n_out,)


def _named_precision(layer: Any, text: str, model_default: FixedType | None) -> FixedType:
    """A typedef target from ``config_cpp``: one of the layer's type names, or a literal ap_(u)fixed."""
    for named in layer.types.values():
        if named.name == text:
            return fixed_type(named.precision, f"{layer.name}.{text}")
    if text == "model_default_t" and model_default is not None:
        return model_default
    try:
        t = parse_precision(text.replace("AP_", ""))
    except PrecisionError:
        raise UnsupportedGraph(f"{layer.name}: type {text!r}") from None
    problem = unsupported_reason(t)
    if problem:
        raise UnsupportedGraph(f"{layer.name}: {problem}")
    return t


def _plan_softmax(layer: Any, x_t: FixedType, in_shape: tuple[int, ...],
                  model_default: FixedType | None) -> StepFn:
    if len(in_shape) != 1 or (layer.get_attr("n_outer", 1), layer.get_attr("n_inner", 1)) != (1, 1):
        raise UnsupportedGraph(f"{layer.name}: multi-dimensional softmax")
    implementation = (_config_value(layer, "implementation") or "").rsplit("::", 1)[-1]
    types = {alias: _config_typedef(layer, alias) for alias in
             ("exp_table_t", "inv_table_t", "accum_t", "inv_inp_t", "inp_norm_t")}
    if any(v is None for k, v in types.items() if k != "inp_norm_t"):
        raise UnsupportedGraph(f"{layer.name}: softmax config not found")
    try:
        sizes = [int(_config_value(layer, k) or "") for k in ("exp_table_size", "inv_table_size")]
        scale = float((_config_value(layer, "exp_scale") or "1.0").rstrip("f"))
    except ValueError:
        raise UnsupportedGraph(f"{layer.name}: softmax table sizes not found") from None
    cfg = SoftmaxConfig(
        implementation=implementation, exp_table_size=sizes[0], inv_table_size=sizes[1], exp_scale=scale,
        exp_table_t=_named_precision(layer, types["exp_table_t"] or "", model_default),
        inv_table_t=_named_precision(layer, types["inv_table_t"] or "", model_default),
        accum_t=_named_precision(layer, types["accum_t"] or "", model_default),
        inv_inp_t=_named_precision(layer, types["inv_inp_t"] or "", model_default),
        inp_norm_t=(_named_precision(layer, types["inp_norm_t"], model_default)
                    if types["inp_norm_t"] and implementation == "stable" else None),
    )
    problem = softmax_unsupported(cfg, x_t)
    if problem:
        raise UnsupportedGraph(f"{layer.name}: {problem}")
    result_t = _type(layer, "result_t")
    return lambda x: softmax(x, x_t, cfg, result_t)


def _plan_step(layer: Any, x_t: FixedType, in_shape: tuple[int, ...],
               model_default: FixedType | None) -> tuple[str, StepFn, tuple[int, ...]]:
    from hls4ml.model import layers as H

    name = layer.name
    if isinstance(layer, H.Conv1D) and type(layer).__name__.removeprefix("Vitis").removeprefix("Vivado") in (
            "Conv1D", "PointwiseConv1D"):
        run, shape = _plan_dense(layer, x_t, in_shape, conv=True)
        return "PointwiseConv1D", run, shape
    if isinstance(layer, H.Dense):
        run, shape = _plan_dense(layer, x_t, in_shape, conv=False)
        return "Dense", run, shape
    if isinstance(layer, H.Softmax):
        return "Softmax", _plan_softmax(layer, x_t, in_shape, model_default), in_shape
    if layer.class_name == "GlobalSumPooling1D":
        return "GlobalSumPooling1D", _plan_sum_pooling(layer, x_t, in_shape), (int(layer.get_attr("n_filt")),)
    if isinstance(layer, (H.ParametrizedActivation, H.HardActivation, H.Conv1D)) or not isinstance(
            layer, (H.Activation, H.GlobalPooling1D, H.Pooling1D, H.BatchNormalization)):
        raise UnsupportedGraph(f"{name}: layer {layer.class_name} ({type(layer).__name__})")
    result_t = _type(layer, "result_t")
    if isinstance(layer, H.Activation):
        activation = str(layer.get_attr("activation", "")).lower()
        if type(layer).__name__.removeprefix("Vitis").removeprefix("Vivado") != "Activation" or \
                activation not in ("relu", "linear"):
            raise UnsupportedGraph(f"{name}: activation {activation!r} ({type(layer).__name__})")
        if activation == "relu":
            return "ReLU", lambda x: L.relu(x, x_t, result_t), in_shape
        return "Linear", lambda x: L.linear(x, x_t, result_t), in_shape
    if isinstance(layer, H.BatchNormalization):
        return "BatchNormalization", _plan_batchnorm(layer, x_t, in_shape, result_t), in_shape
    accum_t = _type(layer, "accum_t")
    op = str(layer.get_attr("pool_op"))
    if op not in ("Max", "Average") or len(in_shape) != 2:
        raise UnsupportedGraph(f"{name}: pooling {op!r} over {in_shape}")
    if isinstance(layer, H.GlobalPooling1D):
        return f"GlobalPooling1D:{op}", lambda x: L.global_pooling1d(x, x_t, op, accum_t, result_t), in_shape[1:]
    geometry = L.Pool1DGeometry(
        n_in=int(layer.get_attr("n_in")), pool_width=int(layer.get_attr("pool_width")),
        stride_width=int(layer.get_attr("stride_width")), pad_left=int(layer.get_attr("pad_left", 0)),
        pad_right=int(layer.get_attr("pad_right", 0)), count_pad=bool(layer.get_attr("count_pad", False)),
    )
    if geometry.n_in != in_shape[0] or str(layer.get_attr("data_format", "channels_last")) != "channels_last":
        raise UnsupportedGraph(f"{name}: pooling geometry {geometry} on {in_shape}")
    n_out = (geometry.n_in + geometry.pad_left + geometry.pad_right - geometry.pool_width) // geometry.stride_width + 1
    return (f"Pooling1D:{op}", lambda x: L.pooling1d(x, x_t, op, geometry, accum_t, result_t),
            (n_out, in_shape[1]))


def _plan_sum_pooling(layer: Any, x_t: FixedType, in_shape: tuple[int, ...]) -> StepFn:
    """The custom sum layer (:mod:`hls_workers.extensions.sum_pooling`): it reads the flat channels-last
    ``[n_in * n_filt]`` array (item-major), whatever shape the previous step had."""
    n_in, n_filt = int(layer.get_attr("n_in")), int(layer.get_attr("n_filt"))
    if int(np.prod(in_shape)) != n_in * n_filt or (len(in_shape) > 1 and in_shape[-1] != n_filt):
        raise UnsupportedGraph(f"{layer.name}: sum over {n_in} x {n_filt} on input shape {in_shape}")
    accum_t, result_t = _type(layer, "accum_t"), _type(layer, "result_t")
    return lambda x: L.global_sum_pooling1d(x.reshape(len(x), n_in, n_filt), x_t, accum_t, result_t)


def _plan_batchnorm(layer: Any, x_t: FixedType, in_shape: tuple[int, ...], result_t: FixedType) -> StepFn:
    products = set(re.findall(r"product::(\w+)<", layer.get_attr("config_cpp") or ""))
    if products - {"mult"}:
        raise UnsupportedGraph(f"{layer.name}: product {', '.join(sorted(products))}")
    scale, scale_t = written_weights(layer, "scale")
    bias, bias_t = written_weights(layer, "bias")
    if x_t.width + scale_t.width > 62:
        raise UnsupportedGraph(f"{layer.name}: products wider than 62 bits")
    n_in = int(np.prod(in_shape))
    n_filt = int(layer.get_attr("n_filt", -1))
    index = np.arange(n_in) if n_filt == -1 else np.arange(n_in) % n_filt
    scale, bias = scale.reshape(-1)[index], bias.reshape(-1)[index]

    def run(x: np.ndarray) -> np.ndarray:
        y = L.batchnorm(x.reshape(len(x), n_in), x_t, scale, scale_t, bias, bias_t, result_t)
        return y.reshape(x.shape)

    return run


def build_plan(hls_model: Any) -> EmulationPlan:
    """The emulation plan of a converted model; raises :class:`UnsupportedGraph` with the first reason."""
    from hls4ml.model import layers as H

    backend = str(hls_model.config.get_config_value("Backend") or "")
    if backend.lower() not in ("vivado", "vitis"):
        raise UnsupportedGraph(f"backend {backend!r}")
    if str(hls_model.config.get_config_value("IOType")) != "io_parallel":
        raise UnsupportedGraph(f"io type {hls_model.config.get_config_value('IOType')!r}")
    if len(hls_model.inputs) != 1 or len(hls_model.outputs) != 1:
        raise UnsupportedGraph("more than one model input or output")
    model_default = None
    default = hls_model.config.model_precision.get("default") if hasattr(hls_model.config, "model_precision") else None
    if default is not None:
        try:
            model_default = fixed_type(default, "model default precision")
        except UnsupportedGraph:
            model_default = None

    types: dict[str, FixedType] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    steps: list[Step] = []
    input_name = input_t = input_shape = None
    for layer in hls_model.get_layers():
        if isinstance(layer, H.Input):
            input_name, input_t = layer.outputs[0], _type(layer, "result_t")
            input_shape = tuple(int(d) for d in layer.get_output_variable().shape)
            types[input_name], shapes[input_name] = input_t, input_shape
            continue
        if len(layer.inputs) != 1 or len(layer.outputs) != 1 or layer.inputs[0] not in types:
            raise UnsupportedGraph(f"{layer.name}: not a single-input, single-output chain layer")
        source = layer.inputs[0]
        kind, run, shape = _plan_step(layer, types[source], shapes[source], model_default)
        result_t = _type(layer, "result_t")
        expected = tuple(int(d) for d in layer.get_output_variable().shape)
        if int(np.prod(expected)) != int(np.prod(shape)):
            raise UnsupportedGraph(f"{layer.name}: output shape {expected}, computed {shape}")
        steps.append(Step(layer.name, kind, source, layer.outputs[0], shape, result_t, run))
        types[layer.outputs[0]], shapes[layer.outputs[0]] = result_t, shape
    if input_name is None or input_t is None or input_shape is None:
        raise UnsupportedGraph("no input layer")
    output_name = hls_model.outputs[0]
    if output_name not in types:
        raise UnsupportedGraph(f"output {output_name!r} not produced by an emulated layer")
    if types[output_name].width > 53:
        raise UnsupportedGraph(f"output type {types[output_name].hls()} wider than a double")
    return EmulationPlan(input_name, input_t, input_shape, steps, output_name, types[output_name])


def emulate(plan: EmulationPlan, x: np.ndarray, intermediates: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Outputs for all samples, as ``hls_model.predict(x)`` returns them (float32 for float32 input).

    ``intermediates``: a dict to fill with every layer's output (the input layer's too) as exact float64
    values, ``(N, *shape)``, keyed by layer name (``sweep trace``); ``None`` (default) keeps nothing extra.
    Raises ``ValueError`` for inputs the fixed-point conversion cannot reproduce (NaN).
    """
    x = np.asarray(x)
    values = {plan.input_name: from_float(x.astype(np.float64).reshape((len(x),) + plan.input_shape), plan.input_t)}
    if intermediates is not None:
        intermediates[plan.input_name] = to_float(values[plan.input_name], plan.input_t)
    last_use = {step.source: index for index, step in enumerate(plan.steps)}
    for index, step in enumerate(plan.steps):
        values[step.target] = step.run(values[step.source])
        if intermediates is not None:
            intermediates[step.name] = to_float(values[step.target], step.result_t)
        if last_use[step.source] == index and step.source != plan.output_name:
            del values[step.source]
    y = to_float(values[plan.output_name], plan.output_t).reshape(len(x), -1)
    return y.astype(np.float32) if x.dtype == np.float32 else y
