"""Cost-model coefficients, one JSON file per FPGA family (``<family>.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_DIR = Path(__file__).parent


def families() -> list[str]:
    """Device families that have a coefficient file."""
    return sorted(p.stem for p in _DIR.glob("*.json"))


@lru_cache(maxsize=None)
def _load(family: str) -> dict:
    path = _DIR / f"{family}.json"
    if not path.is_file():
        raise ValueError(f"no cost coefficients for family {family!r}; known: {', '.join(families())}")
    return json.loads(path.read_text())


def load_coefficients(family: str) -> dict:
    """The coefficients of ``family`` (a fresh deep copy: callers may tweak it)."""
    return json.loads(json.dumps(_load(family)))
