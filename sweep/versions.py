"""Versions of the stack, recorded on every trial so a Pareto point can be reproduced."""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib import metadata

STACK = ("hls-sweep", "tensorflow-cpu", "keras", "qkeras", "hls4ml", "tensorflow-model-optimization",
         "numpy", "optuna", "h5py", "pythia8mc", "fastjet")


@lru_cache(maxsize=1)
def stack_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in STACK:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
