"""Train a built model: QAT or float (PTQ), tfmot pruning to the sampled sparsity, early stopping.

After training the pruning wrappers are stripped and QAT weights are snapped onto their quantizer grid,
so hls4ml sees exactly the values QKeras computed with.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from sweep.data.prepared import PreparedData
from sweep.design import Design


class TrialFailed(RuntimeError):
    """A trial that cannot produce a result; the message is the reason stored on the trial."""


@dataclass
class TrainingOutcome:
    model: Any
    epochs_run: int
    seconds: float


class _Deadline:
    """Keras callback factory: stop with a reason once the trial's time budget is spent."""

    def __init__(self, deadline: float) -> None:
        import tensorflow as tf

        outer = self

        class _Callback(tf.keras.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                if time.monotonic() > outer.deadline:
                    outer.expired = True
                    self.model.stop_training = True

        self.deadline = deadline
        self.expired = False
        self.callback = _Callback()


def _prunable(layer: Any) -> bool:
    return type(layer).__name__ in {"Dense", "QDense"}


def wrap_for_pruning(model: Any, sparsity: float, end_step: int) -> Any:
    """Clone ``model`` with every Dense/QDense wrapped in ``prune_low_magnitude`` (polynomial schedule)."""
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot

    frequency = max(end_step // 20, 1)
    end_step = max(frequency * (end_step // frequency), 1)  # the last mask update lands on end_step
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=sparsity, begin_step=0, end_step=end_step, frequency=frequency
    )

    def clone(layer: Any) -> Any:
        if _prunable(layer):
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        return layer.__class__.from_config(layer.get_config())

    return tf.keras.models.clone_model(model, clone_function=clone)


def snap_to_quantizers(model: Any) -> None:
    """Replace QDense kernels and biases by their quantized values (what QKeras used in the forward pass)."""
    import tensorflow as tf

    for layer in model.layers:
        if type(layer).__name__ != "QDense":
            continue
        kernel, bias = layer.get_weights()
        kq, bq = layer.kernel_quantizer_internal, layer.bias_quantizer_internal
        snapped_kernel = np.asarray(kq(tf.constant(kernel))) if kq is not None else kernel
        snapped_bias = np.asarray(bq(tf.constant(bias))) if bq is not None else bias
        layer.set_weights([snapped_kernel.astype(kernel.dtype), snapped_bias.astype(bias.dtype)])


def train(model: Any, data: PreparedData, design: Design, training: Any, seed: int, deadline: float,
          on_epoch: Callable[[int, int], None] | None = None) -> TrainingOutcome:
    """Compile and fit ``model``; return the stripped, snapped model. Raises :class:`TrialFailed`."""
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot

    start = time.perf_counter()
    steps_per_epoch = math.ceil(len(data.x_train) / training.batch_size)
    prune = design.sparsity > 0
    pruning_epochs = max(1, math.ceil(training.epochs * training.pruning_end_fraction)) if prune else 0
    if prune:
        model = wrap_for_pruning(model, design.sparsity, pruning_epochs * steps_per_epoch)
    loss = "categorical_crossentropy" if data.task == "classification" else "mse"
    model.compile(optimizer=tf.keras.optimizers.Adam(training.learning_rate), loss=loss)

    deadline_cb = _Deadline(deadline)
    callbacks: list[Any] = [
        tf.keras.callbacks.TerminateOnNaN(),
        tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=training.patience,
                                         restore_best_weights=True, start_from_epoch=pruning_epochs),
        deadline_cb.callback,
    ]
    if prune:
        callbacks.append(tfmot.sparsity.keras.UpdatePruningStep())
    if on_epoch is not None:
        callbacks.append(tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch(epoch + 1, training.epochs)))
    history = model.fit(
        data.x_train, data.y_train,
        validation_data=(data.x_val, data.y_val),
        epochs=training.epochs, batch_size=training.batch_size,
        shuffle=True, verbose=0, callbacks=callbacks,
    )
    if deadline_cb.expired:
        raise TrialFailed("timeout: the per-trial time budget ran out during training")
    losses = history.history.get("loss", [])
    if not losses or not all(np.isfinite(losses)):
        raise TrialFailed("NaN loss during training")
    if prune:
        model = tfmot.sparsity.keras.strip_pruning(model)
    if design.quantization == "qat":
        snap_to_quantizers(model)
    return TrainingOutcome(model, len(losses), time.perf_counter() - start)


def set_seed(seed: int) -> None:
    """Seed Python, numpy and TensorFlow (and make TF ops deterministic where it can)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
