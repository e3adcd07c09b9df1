"""An hls4ml project's network read from its firmware, with no Keras file.

hls4ml writes what the HLS tool synthesizes into ``firmware/``: the layer calls in ``<project>.cpp``, every
type in ``defines.h``, reuse factor, strategy and zero counts in ``parameters.h``, and the weights in
``weights/*.txt`` (or the ``weights/*.h`` headers). That is enough to rebuild a Dense network in Keras with
exactly those weights and convert it with exactly those types, whatever Keras version saved the original
model (a ``.keras`` file written by Keras 2.14 does not load in 2.15). io_parallel networks of Dense layers
with ReLU, sigmoid, tanh, softmax and linear activations are read; any other layer is a
:class:`FirmwareError`.

The description is a plain dict (``input`` type and array name, ``layers``: kind, name, result type, the
arrays it ``reads`` and ``writes`` (so two heads on one layer are read as such); Dense layers also
``n_in``, ``n_out``, ``reuse_factor``, ``strategy``, ``n_zeros``, ``weight``/``bias``/``accum`` types and
``w_file``/``b_file``), the same shape as the recorded syntheses' ``model.json`` (tests/fixtures).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "linear": "linear"}
_TYPEDEF = re.compile(r"typedef\s+(.+?)\s+(\w+)\s*;")
_DEFINE = re.compile(r"#define\s+(\w+)\s+(\d+)")
_STRUCT = re.compile(r"struct\s+(\w+)\s*:\s*nnet::\w+\s*\{(.*?)\n\};", re.S)
_CONST = re.compile(r"static const (?:unsigned|int|bool)\s+(\w+)\s*=\s*([^;]+);")


class FirmwareError(ValueError):
    """A project whose firmware cannot be read into a network; the message is one line."""


def _read(path: Path) -> str:
    if not path.is_file():
        raise FirmwareError(f"{path} not found")
    return path.read_text(errors="replace")


def _split_template_args(text: str) -> list[str]:
    """``a<1,2>, b, c`` -> ['a<1,2>', 'b', 'c'] (commas inside angle brackets kept)."""
    args, depth, current = [], 0, ""
    for char in text:
        depth += (char == "<") - (char == ">")
        if char == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += char
    return [*args, current.strip()] if current.strip() else args


def _calls(cpp: str) -> list[tuple[str, list[str], list[str], str]]:
    """(function, template arguments, call arguments, layer name) of each ``nnet::`` call after the weights load."""
    body = cpp.split("NETWORK INSTANTIATION", 1)[-1]
    out = []
    for match in re.finditer(r"nnet::(\w+)\s*<", body):
        start = match.end()
        depth, i = 1, start
        while i < len(body) and depth:
            depth += (body[i] == "<") - (body[i] == ">")
            i += 1
        targs = _split_template_args(body[start:i - 1])
        rest = body[i:]
        call = re.match(r"\s*\(([^;]*?)\)\s*;[ \t]*//[ \t]*(\w+)", rest)
        if call is None:
            continue
        out.append((match.group(1), targs, [a.strip() for a in call.group(1).split(",")], call.group(2)))
    return out


def _configs(parameters: str) -> dict[str, dict[str, Any]]:
    """Each ``struct <name> : nnet::...`` of parameters.h: its constants and inner typedefs."""
    out = {}
    for match in _STRUCT.finditer(parameters):
        body = match.group(2)
        consts = {k: v.strip() for k, v in _CONST.findall(body)}
        types = {name: t.strip() for t, name in _TYPEDEF.findall(body)}
        out[match.group(1)] = {"consts": consts, "types": types}
    return out


def read_firmware(project_dir: str | Path, project_name: str = "myproject") -> dict:
    """The network description of ``project_dir/firmware`` (see the module docstring)."""
    firmware = Path(project_dir) / "firmware"
    cpp = _read(firmware / f"{project_name}.cpp")
    defines = _read(firmware / "defines.h")
    configs = _configs(_read(firmware / "parameters.h"))
    types = {name: t.strip() for t, name in _TYPEDEF.findall(defines)}
    numbers = dict(_DEFINE.findall(defines))

    def resolve(name: str) -> str:
        seen = set()
        while name in types and name not in seen:
            seen.add(name)
            name = types[name]
        return name

    def number(value: str) -> int:
        value = numbers.get(value.strip(), value.strip())
        try:
            return int(value)
        except ValueError:
            raise FirmwareError(f"{firmware / 'parameters.h'}: cannot read the number {value!r}") from None

    signature = re.search(rf"void\s+{re.escape(project_name)}\s*\(\s*(\w+)\s+(\w+)", cpp)
    if signature is None:
        raise FirmwareError(f"{firmware / (project_name + '.cpp')}: no top function {project_name}()")
    if re.search(r"hls::stream|#pragma\s+HLS\s+DATAFLOW", cpp):
        raise FirmwareError(f"{firmware / (project_name + '.cpp')}: io_stream/DATAFLOW firmware is not read "
                            "(io_parallel Dense networks only)")
    layers: list[dict] = []
    for function, targs, args, name in _calls(cpp):
        if function in ("dense", *ACTIVATIONS) and (len(targs) < 2 or len(args) < (4 if function == "dense" else 2)):
            raise FirmwareError(f"{name}: nnet::{function} call with too few arguments")
        if function == "dense":
            config = configs.get(targs[2]) if len(targs) > 2 else None
            missing = None if config is None else ({"n_in", "n_out"} - set(config["consts"])
                                                   or {"weight_t", "bias_t", "accum_t"} - set(config["types"]))
            if config is None or missing:
                raise FirmwareError(f"{name}: no complete config struct for its dense call in parameters.h"
                                    + (f" (missing {', '.join(sorted(missing))})" if missing else ""))
            consts, inner = config["consts"], config["types"]
            n_in, n_out, n_zeros = number(consts["n_in"]), number(consts["n_out"]), number(consts.get("n_zeros", "0"))
            strategy = consts.get("strategy", "nnet::latency").split("::")[-1].lower()
            layers.append({
                "kind": "dense", "name": name, "reads": args[0], "writes": args[1],
                "w_file": args[2], "b_file": args[3], "n_in": n_in, "n_out": n_out,
                "reuse_factor": number(consts.get("reuse_factor", "1")), "strategy": strategy,
                "n_zeros": n_zeros, "n_nonzeros": number(consts.get("n_nonzeros", str(n_in * n_out - n_zeros))),
                "weight": resolve(inner["weight_t"]), "bias": resolve(inner["bias_t"]),
                "accum": resolve(inner["accum_t"]), "result": resolve(targs[1]),
            })
        elif function in ACTIVATIONS:
            layers.append({"kind": function, "name": name, "reads": args[0], "writes": args[1],
                           "result": resolve(targs[1])})
        else:
            raise FirmwareError(f"{name}: nnet::{function} is not read from firmware (Dense networks with "
                                f"{', '.join(ACTIVATIONS)} only)")
    if not any(layer["kind"] == "dense" for layer in layers):
        raise FirmwareError(f"{firmware / (project_name + '.cpp')}: no Dense layer found")
    return {"input": resolve(signature.group(1)), "input_name": signature.group(2), "layers": layers}


def _values(folder: Path, name: str) -> np.ndarray:
    """hls4ml's ``weights/<name>.txt`` (comma-separated), else the initializer list of ``weights/<name>.h``."""
    text_file, header = folder / f"{name}.txt", folder / f"{name}.h"
    if text_file.is_file():
        text = text_file.read_text()
    elif header.is_file():
        match = re.search(r"=\s*\{(.*?)\}\s*;", header.read_text(), re.S)
        if match is None:
            raise FirmwareError(f"{header}: no initializer list")
        text = match.group(1)
    else:
        raise FirmwareError(f"{text_file} not found (nor {header.name})")
    try:
        return np.array([float(v) for v in re.split(r"[,\s]+", text.strip()) if v], dtype=np.float64)
    except ValueError as exc:
        raise FirmwareError(f"{folder / name}: {exc}") from None


def read_weights(weights_dir: str | Path, description: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Dense layer name -> (kernel (n_in, n_out), bias), checked against the sizes the firmware declares."""
    folder = Path(weights_dir)
    out = {}
    for layer in description["layers"]:
        if layer["kind"] != "dense":
            continue
        kernel, bias = _values(folder, layer["w_file"]), _values(folder, layer["b_file"])
        if kernel.size != layer["n_in"] * layer["n_out"] or bias.size != layer["n_out"]:
            raise FirmwareError(f"{layer['name']}: {layer['w_file']}/{layer['b_file']} hold {kernel.size}/{bias.size} "
                                f"values, the firmware declares {layer['n_in']}x{layer['n_out']}/{layer['n_out']}")
        out[layer["name"]] = (kernel.reshape(layer["n_in"], layer["n_out"]).astype(np.float32),
                              bias.astype(np.float32))
    return out


def _wired(description: dict) -> list[dict]:
    """The layers with the arrays each reads and writes; a description without them (the recorded runs'
    ``model.json``) is one chain."""
    layers = description["layers"]
    if all("reads" in layer for layer in layers):
        return layers
    wired, previous = [], description.get("input_name", "input")
    for index, layer in enumerate(layers):
        wired.append({**layer, "reads": previous, "writes": f"t{index}"})
        previous = f"t{index}"
    return wired


def build_keras_model(description: dict, weights: dict[str, tuple[np.ndarray, np.ndarray]]):
    """The Keras network of ``description`` with ``weights``, wired as the firmware's arrays are (a layer
    read by two heads gives a model with two outputs). A ``linear`` layer right after a Dense is that
    Dense's own activation (hls4ml writes it as ``<dense>_linear``); other ``linear`` layers (and the
    recorded runs' ``quantizer``) become linear activations."""
    import tensorflow as tf

    layers = _wired(description)
    first = next(layer for layer in layers if layer["kind"] == "dense")
    inputs = tf.keras.Input((first["n_in"],), name="input_1")
    tensors = {layers[0]["reads"]: inputs}
    producer: dict[str, str] = {}
    for layer in layers:
        if layer["reads"] not in tensors:
            raise FirmwareError(f"{layer['name']}: reads {layer['reads']}, which no earlier layer writes")
        x = tensors[layer["reads"]]
        if layer["kind"] == "dense":
            y = tf.keras.layers.Dense(layer["n_out"], name=layer["name"])(x)
        elif layer["kind"] == "linear" and layer["name"] == f"{producer.get(layer['reads'])}_linear":
            y = x
        else:
            activation = "linear" if layer["kind"] == "quantizer" else ACTIVATIONS[layer["kind"]]
            y = tf.keras.layers.Activation(activation, name=layer["name"])(x)
        tensors[layer["writes"]] = y
        producer[layer["writes"]] = layer["name"]
    read = {layer["reads"] for layer in layers}
    outputs = [tensors[layer["writes"]] for layer in layers if layer["writes"] not in read]
    model = tf.keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0])
    for name, (kernel, bias) in weights.items():
        model.get_layer(name).set_weights([kernel, bias])
    return model


def hls_config(description: dict, keras_model: Any, backend: str) -> dict:
    """hls4ml's per-layer config for ``keras_model`` with the firmware's types, reuse factors and strategies."""
    import hls4ml

    config = hls4ml.utils.config_from_keras_model(keras_model, granularity="name", backend=backend,
                                                  default_precision="ap_fixed<16,6>")
    config["LayerName"]["input_1"]["Precision"] = {"result": description["input"]}
    dense = [layer for layer in description["layers"] if layer["kind"] == "dense"]
    names = {layer["name"] for layer in description["layers"]}
    for layer in description["layers"]:
        entry = config["LayerName"].setdefault(layer["name"], {})
        if layer["kind"] == "dense":
            entry["Precision"] = {key: layer[key] for key in ("weight", "bias", "accum", "result")}
            entry["ReuseFactor"] = layer["reuse_factor"]
            entry["Strategy"] = layer["strategy"].capitalize()
            if f"{layer['name']}_linear" not in names:  # hls4ml dropped the Dense's own linear activation: no cast
                own = config["LayerName"].setdefault(f"{layer['name']}_linear", {})
                own["Precision"] = {"result": layer["result"]}
        else:
            precision = entry.get("Precision")
            entry["Precision"] = ({**precision, "result": layer["result"]} if isinstance(precision, dict)
                                  else {"result": layer["result"]})
    config["Model"]["ReuseFactor"] = max(layer["reuse_factor"] for layer in dense)
    config["Model"]["Strategy"] = dense[0]["strategy"].capitalize()
    return config
