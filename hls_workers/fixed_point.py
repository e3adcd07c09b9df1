"""``ap_fixed<W,I,Q,O>`` precision strings: parse, validate, format for hls4ml configs."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROUNDING = {"TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_INF", "RND_MIN_INF", "RND_CONV"}
_OVERFLOW = {"WRAP", "SAT", "SAT_ZERO", "SAT_SYM"}
_PATTERN = re.compile(
    r"^\s*(?:ap_)?(?P<kind>u?fixed)\s*<\s*(?P<w>-?\d+)\s*,\s*(?P<i>-?\d+)\s*"
    r"(?:,\s*(?P<q>[A-Z_]+)\s*)?(?:,\s*(?P<o>[A-Z_]+)\s*)?(?:,\s*(?P<n>\d+)\s*)?>\s*$"
)


class PrecisionError(ValueError):
    """A precision string that is not a valid ``ap_fixed``/``ap_ufixed`` type."""


@dataclass(frozen=True)
class FixedType:
    """An arbitrary-precision fixed-point type: ``width`` bits, ``integer`` of them left of the point."""

    width: int
    integer: int
    signed: bool = True
    rounding: str = "TRN"
    overflow: str = "WRAP"

    @property
    def fractional(self) -> int:
        return self.width - self.integer

    def hls(self) -> str:
        """The string hls4ml's configuration accepts, e.g. ``fixed<12,4,RND,SAT>``."""
        kind = "fixed" if self.signed else "ufixed"
        if self.rounding == "TRN" and self.overflow == "WRAP":
            return f"{kind}<{self.width},{self.integer}>"
        return f"{kind}<{self.width},{self.integer},{self.rounding},{self.overflow}>"

    def __str__(self) -> str:
        return self.hls()


def parse_precision(text: str) -> FixedType:
    """Parse ``ap_fixed<W,I[,Q[,O]]>`` (``ap_`` optional, ``ufixed`` for unsigned)."""
    match = _PATTERN.match(text)
    if not match:
        raise PrecisionError(f"{text!r} is not a fixed-point type like 'ap_fixed<16,6>' or 'ap_fixed<12,4,RND,SAT>'")
    width, integer = int(match["w"]), int(match["i"])
    rounding, overflow = match["q"] or "TRN", match["o"] or "WRAP"
    if width < 1:
        raise PrecisionError(f"{text!r}: width must be at least 1")
    if integer > width:
        raise PrecisionError(f"{text!r}: integer bits ({integer}) exceed the width ({width})")
    if rounding not in _ROUNDING:
        raise PrecisionError(f"{text!r}: unknown rounding mode {rounding!r}; one of {', '.join(sorted(_ROUNDING))}")
    if overflow not in _OVERFLOW:
        raise PrecisionError(f"{text!r}: unknown overflow mode {overflow!r}; one of {', '.join(sorted(_OVERFLOW))}")
    return FixedType(width, integer, match["kind"] == "fixed", rounding, overflow)


def from_hls(precision: object) -> FixedType:
    """The :class:`FixedType` of an hls4ml precision object (``FixedPrecisionType``/``IntegerPrecisionType``).

    The one reader of hls4ml precisions: the emulator, the estimators and da4ml's tracer all use it.
    Raises :class:`PrecisionError` for anything that is not plain fixed point (xnor, exponent types, or a
    type with saturation bits). Read by attribute, so hls4ml is not imported here.
    """
    bases = {cls.__name__ for cls in type(precision).__mro__}  # backends subclass them (APFixedPrecisionType)
    if not bases & {"FixedPrecisionType", "IntegerPrecisionType"}:
        raise PrecisionError(f"precision {precision} ({type(precision).__name__}) is not fixed point")
    width, signed = int(precision.width), bool(precision.signed)
    if "FixedPrecisionType" not in bases:
        return FixedType(width, width, signed)
    if getattr(precision, "saturation_bits", None):
        raise PrecisionError(f"{precision} has {precision.saturation_bits} saturation bits")
    rounding = getattr(precision, "rounding_mode", None)
    saturation = getattr(precision, "saturation_mode", None)
    return FixedType(width, int(precision.integer), signed,
                     rounding.name if rounding is not None else "TRN",
                     saturation.name if saturation is not None else "WRAP")
