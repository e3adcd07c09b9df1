"""Shared fixtures: one generated quickstart data set per test session, one cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def quickstart_dir() -> Path:
    """The built-in quickstart jets (generated once into the cache, reused afterwards)."""
    from sweep.data.builtin import resolve_builtin

    return resolve_builtin("quickstart", progress=False)
