"""Objectives a study file can name: each reads one metric of a finished trial.

Adding an objective is adding an entry here (hardware-cost objectives such as LUT/DSP/latency join when
their estimators exist).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str
    description: str
    tasks: tuple[str, ...] = ("classification", "regression")


_ALL = (
    Objective("emulated_accuracy", "maximize", "accuracy of the bit-accurate hls4ml emulation", ("classification",)),
    Objective("keras_accuracy", "maximize", "accuracy of the trained Keras model", ("classification",)),
    Objective("accuracy_gap", "minimize", "|Keras accuracy - emulated accuracy|", ("classification",)),
    Objective("disagreement", "minimize", "fraction of samples whose argmax differs Keras vs hls4ml", ("classification",)),
    Objective("emulated_auc", "maximize", "mean one-vs-rest AUC of the emulation", ("classification",)),
    Objective("emulated_mse", "minimize", "mean squared error of the emulation", ("regression",)),
    Objective("keras_mse", "minimize", "mean squared error of the trained Keras model", ("regression",)),
    Objective("mae", "minimize", "mean |emulated - Keras| prediction (target units, GeV)", ("regression",)),
    Objective("mpe", "minimize", "mean percent error 100·|emulated - Keras|/|Keras|", ("regression",)),
    Objective("keras_resolution_median", "minimize",
              "median of (Keras - true)/true, signed: to drive it to 0 use keras_resolution_bias", ("regression",)),
    Objective("keras_resolution_bias", "minimize", "|median of (Keras - true)/true|", ("regression",)),
    Objective("keras_resolution_iqr", "minimize", "interquartile width of (Keras - true)/true", ("regression",)),
    Objective("emulated_resolution_median", "minimize",
              "median of (emulated - true)/true, signed: to drive it to 0 use emulated_resolution_bias",
              ("regression",)),
    Objective("emulated_resolution_bias", "minimize", "|median of (emulated - true)/true|", ("regression",)),
    Objective("emulated_resolution_iqr", "minimize", "interquartile width of (emulated - true)/true",
              ("regression",)),
    Objective("output_gap", "minimize", "mean |Keras output - emulated output|"),
    Objective("bops", "minimize", "bit operations over nonzero weights (docs/metrics.md)"),
    Objective("n_params", "minimize", "nonzero weights and biases"),
    Objective("lut", "minimize", "LUTs (source recorded per trial: estimate:analytic, da4ml, csynth, …)"),
    Objective("dsp", "minimize", "DSP slices"),
    Objective("ff", "minimize", "flip-flops"),
    Objective("bram", "minimize", "BRAM_18K blocks"),
    Objective("latency_ns", "minimize", "latency in ns at the study's clock"),
    Objective("latency_cycles", "minimize", "latency in clock cycles"),
    Objective("lut_pct", "minimize", "LUTs as % of the study's part"),
    Objective("dsp_pct", "minimize", "DSPs as % of the study's part"),
)
OBJECTIVES: dict[str, Objective] = {o.name: o for o in _ALL}
