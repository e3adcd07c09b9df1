"""Shared fixtures: one generated quickstart data set per test session, one cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# da4ml's solver is numba code. Compiling it costs about 140 s on first use in a fresh venv (every CI run),
# and the tests' matrices are tiny: run the same Python source uncompiled (about 15 s for all da4ml tests).
# The compiled path is checked by the slow test_da4ml.py::test_compiled_solver_gives_the_same_cost.
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")


@pytest.fixture(scope="session")
def quickstart_dir() -> Path:
    """The built-in quickstart jets (generated once into the cache, reused afterwards)."""
    from sweep.data.builtin import resolve_builtin

    return resolve_builtin("quickstart", progress=False)
