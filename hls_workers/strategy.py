"""What a design's ``strategy`` means on the hardware side, in one place.

``latency`` and ``resource`` are hls4ml's strategies of the same name, costed by the analytic model;
``distributed_arithmetic`` designs are converted and emulated as Latency (the same arithmetic, bit for
bit) and costed by da4ml, which uses no DSPs and handles Dense chains only (no pooling).
"""

from __future__ import annotations

STRATEGIES = ("latency", "resource", "distributed_arithmetic")
DISTRIBUTED_ARITHMETIC = "distributed_arithmetic"


def check(strategy: str) -> str:
    """``strategy`` in lower case, or ValueError naming the known ones."""
    name = strategy.lower()
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    return name


def hls4ml_strategy(strategy: str) -> str:
    """The hls4ml ``Strategy`` value a design is converted with: ``Latency`` or ``Resource``."""
    return "Resource" if check(strategy) == "resource" else "Latency"


def cost_model_strategy(strategy: str) -> str:
    """The strategy the analytic/pre-training cost model is run with: ``latency`` or ``resource``."""
    return "resource" if check(strategy) == "resource" else "latency"


def cost_estimator(strategy: str) -> str:
    """The estimator that costs a converted design of this strategy inside a trial."""
    return "da4ml" if check(strategy) == DISTRIBUTED_ARITHMETIC else "estimate:analytic"


def uses_dsp(strategy: str) -> bool:
    """False for distributed arithmetic (shift-and-add only), True otherwise."""
    return check(strategy) != DISTRIBUTED_ARITHMETIC


def supports_pooling(strategy: str) -> bool:
    """Whether a network with a global pooling can be costed with this strategy (da4ml cannot)."""
    return check(strategy) != DISTRIBUTED_ARITHMETIC
