"""FPGA part table: family, architecture and resource totals of the devices hls-sweep knows (``parts.json``).

Adding a part is adding one row to ``parts.json`` with its ``source`` (a key of ``_sources``). Its
``architecture`` picks the cost coefficients through :func:`coefficient_family`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import Any

_TABLE = Path(__file__).with_name("parts.json")
_COEFFICIENTS = Path(__file__).parent / "estimate" / "coefficients"

ARCHITECTURES = ("7series", "ultrascale", "ultrascale_plus", "versal")
#: Architecture without a coefficient file of its own → the nearest file that exists.
COEFFICIENT_FALLBACK = {"ultrascale": "ultrascale_plus", "versal": "ultrascale_plus"}
#: How many names an error message suggests at most.
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Part:
    """One FPGA device: full name, product family, architecture, available resources and their source."""

    name: str
    family: str
    architecture: str
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int = 0
    source: str = ""
    note: str = ""

    def totals(self) -> dict[str, int]:
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram_18k": self.bram_18k}


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    return json.loads(_TABLE.read_text())


@lru_cache(maxsize=1)
def _parts() -> dict[str, Part]:
    return {name: Part(name=name, **spec) for name, spec in _raw().items() if not name.startswith("_")}


def _natural(name: str) -> list[Any]:
    """Sort key putting xczu2eg before xczu11eg."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name.lower())]


def sources() -> dict[str, str]:
    """``{source key: document id and title}`` of the vendor tables the rows cite."""
    return dict(_raw()["_sources"])


def known_parts(family: str | None = None) -> list[str]:
    """Full names of all parts in the table, or of one ``family``."""
    return sorted((n for n, p in _parts().items() if family is None or p.family == family), key=_natural)


def families() -> list[str]:
    """The product families in the table."""
    return sorted({part.family for part in _parts().values()})


def parts_of(family: str | None = None) -> list[Part]:
    """The parts of ``family`` (all when None), grouped by family then sorted by name.

    Raises ValueError naming the families when ``family`` is not one of them.
    """
    if family is not None and family not in families():
        raise ValueError(f"unknown part family {family!r}; one of {', '.join(families())}")
    parts = [_parts()[name] for name in known_parts(family)]
    return sorted(parts, key=lambda p: (p.family, p.lut, p.name))


def suggest_parts(name: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Known names close to ``name``: prefix matches first, then near spellings (of the name or its device)."""
    key = name.strip().lower()
    by_lower = {n.lower(): n for n in known_parts()}
    prefixed = [n for low, n in by_lower.items() if key and low.startswith(key)]
    near = [by_lower[n] for n in get_close_matches(key, list(by_lower), n=limit, cutoff=0.6)]
    devices: dict[str, str] = {}
    for low, n in by_lower.items():
        devices.setdefault(low.split("-")[0], n)
    near_device = [devices[d] for d in get_close_matches(key.split("-")[0], list(devices), n=limit, cutoff=0.75)]
    return list(dict.fromkeys(prefixed + near + near_device))[:limit]


def _listing(names: list[str], total: int) -> str:
    """``a, b or c``; ``a, b, c and 4 more`` when only the first of ``total`` names are shown."""
    if total > len(names):
        return ", ".join(names) + f" and {total - len(names)} more"
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def unknown_part_message(name: str) -> str:
    """One line for a name that is not a part: the nearest known names, never the whole table."""
    near = suggest_parts(name)
    hint = f"did you mean {_listing(near, len(near))}?" if near else "no similar name in the part table"
    return f"unknown FPGA part {name!r}; {hint} (`sweep parts` lists all {len(_parts())})"


#: A package code glued to a 7-series device name (``xc7z020clg400``): 3 letters and the pin count.
_GLUED_PACKAGE = re.compile(r"^(xc[a-z0-9]*?\d+[a-z]*?)([a-z]{3}\d{3,4})$")


def device_of(name: str) -> str:
    """The device a full part name denotes, without package, speed grade and temperature:
    ``xcvu9p-flga2104-2-e`` → ``xcvu9p``, ``xc7z020clg400-1`` and ``xc7z020-clg400-1`` → ``xc7z020``."""
    head = name.strip().lower().split("-")[0]
    glued = _GLUED_PACKAGE.match(head)
    return glued.group(1) if glued else head


def _by_device(name: str) -> Part | None:
    """The table row of the same device in another package or speed grade, carrying ``name`` (capacities are
    per device; hls4ml and Vivado are given the name the user wrote)."""
    from dataclasses import replace

    device = device_of(name)
    rows = [p for p in _parts().values() if device_of(p.name) == device]
    if not rows or "-" not in name.strip():
        return None  # a bare device name is a prefix, handled by lookup_part
    return replace(rows[0], name=name.strip())


def lookup_part(name: str) -> Part:
    """The part named ``name``: a full part name, a unique prefix (``xcvu13p``), or the full name of a listed
    device in another package or speed grade (``xcvu9p-flga2104-2-e``); case-insensitive.

    Raises ValueError with one line naming the nearest parts when nothing or more than one part matches.
    """
    key = name.strip().lower()
    parts = {k.lower(): v for k, v in _parts().items()}
    if key in parts:
        return parts[key]
    matches = sorted((v.name for k, v in parts.items() if key and k.startswith(key)), key=_natural)
    if len(matches) == 1:
        return _parts()[matches[0]]
    if matches:
        shown = matches[:MAX_SUGGESTIONS]
        raise ValueError(f"part {name!r} is ambiguous: {_listing(shown, len(matches))}; give more of the name")
    same_device = _by_device(name)
    if same_device is not None:
        return same_device
    raise ValueError(unknown_part_message(name))


def coefficient_family(part: Part | str, notes: list[str] | None = None) -> str:
    """Name of the cost-coefficient file (``estimate/coefficients/<name>.json``) for ``part``.

    An architecture without its own file falls back to the nearest one (UltraScale and Versal →
    UltraScale+) and appends a note saying the coefficients are not calibrated for it. Raises
    ValueError for an unknown part name.
    """
    device = lookup_part(part) if isinstance(part, str) else part
    arch = device.architecture
    if (_COEFFICIENTS / f"{arch}.json").is_file():
        return arch
    chosen = COEFFICIENT_FALLBACK.get(arch, "ultrascale_plus")
    if notes is not None:
        notes.append(f"coefficients: {device.name} is {arch}, which has no calibrated coefficients; "
                     f"{chosen} coefficients used (not calibrated for {arch})")
    return chosen


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
