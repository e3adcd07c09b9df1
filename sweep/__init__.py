"""hls-sweep: Optuna multi-objective sweeps of QKeras trigger models, scored in bit-accurate hls4ml."""

__version__ = "0.1.0"
