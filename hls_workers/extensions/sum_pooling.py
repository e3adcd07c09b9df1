"""``GlobalSumPooling1D``: a DeepSets sum aggregation, as a Keras layer and through hls4ml's Extension API.

Everything hls4ml 1.3.0 needs for a layer it does not know lives here:
- the Keras layer (:class:`GlobalSumPooling1D`, sums over the set axis: (batch, items, features) → (batch, features));
- its Keras-v2 layer handler (the parsed layer: ``n_in`` items, ``n_filt`` features);
- the hls4ml layer class (also called ``GlobalSumPooling1D``; ``accum_t`` and ``result_t`` types, ``pool_op = Sum``);
- the Vivado and Vitis config / function-call templates and the C++ header ``nnet_sum_pooling.h``
  (accumulate each feature over the items in ``accum_t``, cast once to ``res_T``).

:func:`register` does all of it once per process (hls4ml raises when a name is registered twice); call it
before ``config_from_keras_model``. hls4ml does not infer the accumulator or result of a custom layer (left
``auto`` they silently become the model default): :func:`hls_workers.hls_config.build_hls_config` sets both
from the design (:func:`hls_workers.widths.pool_types`). io_parallel only.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import tensorflow as tf

#: Keras class name (what ``model.to_json()`` and the saved .h5 carry) and hls4ml layer class name.
CLASS_NAME = "GlobalSumPooling1D"
HEADER = Path(__file__).with_name("nnet_sum_pooling.h")
BACKENDS = ("Vivado", "Vitis")

_lock = threading.Lock()
_hls_layer_class: type | None = None


class GlobalSumPooling1D(tf.keras.layers.Layer):
    """Sum over the set axis (axis 1): ``(batch, items, features)`` → ``(batch, features)``.

    Unlike a mean, every item counts in full, padded ones too: a padded item adds ``phi(pad)`` to the sum.
    """

    def call(self, inputs):
        return tf.reduce_sum(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([input_shape[0], input_shape[-1]])


def custom_objects() -> dict[str, Any]:
    """Custom objects to load a saved model that uses the layer."""
    return {CLASS_NAME: GlobalSumPooling1D}


def parse_sum_pooling(keras_layer: dict, input_names: list[str] | None, input_shapes: list[list[Any]],
                      data_reader: Any) -> tuple[dict, list[Any]]:
    """hls4ml Keras-v2 handler: ``n_in`` items of ``n_filt`` features each, output ``[batch, n_filt]``."""
    shape = list(input_shapes[0])
    if len(shape) != 3:
        raise ValueError(f"{CLASS_NAME} expects (batch, items, features), got {shape}")
    layer = {
        "class_name": CLASS_NAME,
        "name": keras_layer["config"]["name"],
        "n_in": int(shape[1]),
        "n_filt": int(shape[2]),
    }
    if input_names is not None:
        layer["inputs"] = input_names
    return layer, [shape[0], shape[2]]


CONFIG_TEMPLATE = """struct config{index} : nnet::sum_pooling1d_config {{
    static const unsigned n_in = {n_in};
    static const unsigned n_filt = {n_filt};
    static const unsigned reuse_factor = 1;
    typedef {accum_t.name} accum_t;
}};\n"""
FUNCTION_TEMPLATE = "nnet::global_sum_pooling1d<{input_t}, {output_t}, {config}>({input}, {output});"
INCLUDES = ["nnet_utils/nnet_sum_pooling.h"]


def _make_classes() -> tuple[type, type, type]:
    """The hls4ml layer class and its two templates (built lazily: hls4ml is heavy)."""
    import hls4ml
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.model.attributes import Attribute, TypeAttribute

    def initialize(self) -> None:
        self.add_output_variable([self.attributes["n_filt"]])
        self.set_attr("pool_op", "Sum")

    # Named like the Keras layer: hls4ml matches templates and reports layers by the class name.
    layer_cls = type(CLASS_NAME, (hls4ml.model.layers.Layer,), {
        "__doc__": "hls4ml layer of the Keras GlobalSumPooling1D: flat channels-last [n_in * n_filt] -> [n_filt].",
        "__module__": __name__,
        "_expected_attributes": [Attribute("n_in"), Attribute("n_filt"), TypeAttribute("accum")],
        "initialize": initialize,
    })

    class SumPoolingConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(layer_cls)
            self.template = CONFIG_TEMPLATE

        def format(self, node):
            return self.template.format(**self._default_config_params(node))

    class SumPoolingFunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(layer_cls, include_header=INCLUDES)
            self.template = FUNCTION_TEMPLATE

        def format(self, node):
            return self.template.format(**self._default_function_params(node))

    return layer_cls, SumPoolingConfigTemplate, SumPoolingFunctionTemplate


def register() -> None:
    """Register the layer with hls4ml (handler, layer, Vivado/Vitis templates and header); harmless to repeat."""
    global _hls_layer_class
    import hls4ml
    from hls4ml.model.optimizer.optimizer import optimizer_map

    with _lock:
        if _hls_layer_class is None:
            existing = hls4ml.model.layers.layer_map.get(CLASS_NAME)
            if existing is not None and existing.__module__ == __name__:
                _hls_layer_class = existing  # registered by an earlier import of this module
            else:
                layer_cls, config_template, function_template = _make_classes()
                hls4ml.model.layers.register_layer(CLASS_NAME, layer_cls)
                for backend_name in BACKENDS:
                    backend = hls4ml.backends.get_backend(backend_name)
                    for template in (config_template, function_template):
                        if f"{backend_name.lower()}:{template().get_name()}" not in optimizer_map:
                            backend.register_template(template)
                _hls_layer_class = layer_cls
        if CLASS_NAME not in hls4ml.converters.get_supported_keras_layers():
            hls4ml.converters.register_keras_v2_layer_handler(CLASS_NAME, parse_sum_pooling)
        for backend_name in BACKENDS:
            hls4ml.backends.get_backend(backend_name).register_source(HEADER)  # a dict entry: idempotent


def hls_layer_class() -> type:
    """The registered hls4ml layer class (registers first when needed)."""
    register()
    assert _hls_layer_class is not None
    return _hls_layer_class
