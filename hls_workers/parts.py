"""FPGA part table: family and resource totals of the devices hls-sweep targets (``parts.json``).

Adding a part is adding one entry to ``parts.json``; its ``family`` picks the cost coefficients
(``hls_workers/estimate/coefficients/<family>.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_TABLE = Path(__file__).with_name("parts.json")


@dataclass(frozen=True)
class Part:
    """One FPGA device: its full name, family and available resources."""

    name: str
    family: str
    lut: int
    ff: int
    dsp: int
    bram_18k: int

    def totals(self) -> dict[str, int]:
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram_18k": self.bram_18k}


@lru_cache(maxsize=1)
def _parts() -> dict[str, Part]:
    raw = json.loads(_TABLE.read_text())
    return {name: Part(name=name, **spec) for name, spec in raw.items() if not name.startswith("_")}


def known_parts() -> list[str]:
    """Full names of all parts in the table."""
    return sorted(_parts())


def lookup_part(name: str) -> Part:
    """The part named ``name``: a full part name or a unique prefix (``xcvu13p``), case-insensitive.

    Raises ValueError listing the known parts when nothing or more than one part matches.
    """
    key = name.strip().lower()
    parts = {k.lower(): v for k, v in _parts().items()}
    if key in parts:
        return parts[key]
    matches = [v for k, v in parts.items() if key and k.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(known_parts())
    if matches:
        names = ", ".join(sorted(p.name for p in matches))
        raise ValueError(f"part {name!r} is ambiguous ({names}); known parts: {known}")
    raise ValueError(f"unknown part {name!r}; known parts: {known}")


def percent_of_device(estimate: Any, part: Part | str) -> dict[str, float | None]:
    """``{lut, ff, dsp, bram_18k}`` as percent of the device (None where the estimate has no value).

    ``estimate`` is a :class:`~hls_workers.estimate.base.ResourceEstimate` or a plain ``{metric: value}`` dict.
    """
    device = lookup_part(part) if isinstance(part, str) else part
    out: dict[str, float | None] = {}
    for key, total in device.totals().items():
        if isinstance(estimate, dict):
            value = estimate.get(key, estimate.get("bram") if key == "bram_18k" else None)
        else:
            value = estimate.metric(key).value
        out[key] = None if value is None else 100.0 * float(value) / total
    return out
