"""``ap_fixed`` semantics on int64 numpy arrays.

A fixed-point array is held as its raw integers ``v`` (value = ``v * 2**-F``, ``F`` = fractional bits)
next to a :class:`~hls_workers.fixed_point.FixedType`. Conversions reproduce the Xilinx ``ap_fixed``
library: quantization first (TRN, TRN_ZERO, RND, RND_ZERO, RND_INF, RND_MIN_INF, RND_CONV, decided
on the exact source value), then overflow of the rounded value (WRAP, SAT, SAT_ZERO, SAT_SYM; SAT_SYM
clamps a signed target to ``[-max, max]``). Widths up to :data:`MAX_WIDTH` bits are supported.
"""

from __future__ import annotations

import numpy as np

from hls_workers.fixed_point import FixedType

#: Widest type held exactly in int64 with room for the arithmetic around it.
MAX_WIDTH = 62
_BIG = float(2**62)


def limits(t: FixedType) -> tuple[int, int]:
    """Smallest and largest raw integer of ``t``."""
    if t.signed:
        return -(1 << (t.width - 1)), (1 << (t.width - 1)) - 1
    return 0, (1 << t.width) - 1


def unsupported_reason(t: FixedType) -> str | None:
    """Why ``t`` cannot be emulated here, or ``None``."""
    if t.width < 1 or t.width > MAX_WIDTH:
        return f"{t.hls()}: width {t.width} outside 1..{MAX_WIDTH}"
    if abs(t.fractional) > MAX_WIDTH:
        return f"{t.hls()}: {t.fractional} fractional bits"
    return None


def overflow(q: np.ndarray, t: FixedType, over: np.ndarray | None = None,
             under: np.ndarray | None = None) -> np.ndarray:
    """Apply ``t``'s overflow mode to raw integers ``q`` (already at ``t``'s scale).

    ``over``/``under`` flag values above/below the range when ``q`` itself is only exact modulo 2**64.
    """
    lo, hi = limits(t)
    low = -hi if (t.overflow == "SAT_SYM" and t.signed) else lo
    if over is None and under is None and q.size and q.min() >= low and q.max() <= hi:
        return q  # nothing out of range: every mode leaves the values alone
    if t.overflow == "WRAP":
        wrapped = q - np.int64(lo)
        wrapped &= np.int64((1 << t.width) - 1)
        wrapped += np.int64(lo)
        return wrapped
    if over is None:
        over = q > hi
    if under is None:
        under = q < low
    if t.overflow == "SAT_ZERO":
        return np.where(over | under, np.int64(0), q)
    if t.overflow in ("SAT", "SAT_SYM"):
        return np.where(over, np.int64(hi), np.where(under, np.int64(low), q))
    raise ValueError(f"unknown overflow mode {t.overflow!r}")


def _shift_round(v: np.ndarray, shift: int, rounding: str) -> np.ndarray:
    """``v / 2**shift`` rounded as ``rounding`` says (0 < shift <= 62), with one biased shift.

    Adding a bias below one LSB before the arithmetic shift picks floor or floor + 1 exactly as the
    rounding mode decides on the remainder (ties: RND up, RND_MIN_INF down, RND_ZERO/RND_INF by sign,
    RND_CONV to the even neighbour).
    """
    half, one = np.int64(1 << (shift - 1)), np.int64(1)
    s = np.int64(shift)
    if rounding == "TRN":
        return v >> s
    if rounding == "TRN_ZERO":
        return (v + (v < 0) * np.int64((1 << shift) - 1)) >> s
    if rounding == "RND":
        return (v + half) >> s
    if rounding == "RND_MIN_INF":
        return (v + (half - one)) >> s
    if rounding == "RND_ZERO":
        return (v + half - (v >= 0)) >> s
    if rounding == "RND_INF":
        return (v + half - (v < 0)) >> s
    if rounding == "RND_CONV":
        return (v + (half - one) + ((v >> s) & one)) >> s
    raise ValueError(f"unknown rounding mode {rounding!r}")


def _round_up(rounding: str, floor: np.ndarray, neg: np.ndarray, gt: np.ndarray, eq: np.ndarray,
              nonzero: np.ndarray) -> np.ndarray:
    """Whether to add one LSB to the floor, from the remainder (> half, == half, != 0) and the sign."""
    if rounding == "TRN":
        return np.zeros_like(neg)
    if rounding == "TRN_ZERO":
        return neg & nonzero
    if rounding == "RND":
        return gt | eq
    if rounding == "RND_ZERO":
        return gt | (eq & neg)
    if rounding == "RND_MIN_INF":
        return gt
    if rounding == "RND_INF":
        return gt | (eq & ~neg)
    if rounding == "RND_CONV":
        return gt | (eq & ((floor & 1) == 1))
    raise ValueError(f"unknown rounding mode {rounding!r}")


def cast(v: np.ndarray, frac: int, t: FixedType) -> np.ndarray:
    """Convert raw integers ``v`` with ``frac`` fractional bits (any signedness) to type ``t``."""
    v = np.asarray(v, dtype=np.int64)
    shift = frac - t.fractional
    if shift == 0:
        return overflow(v, t)
    if shift < 0:
        k = -shift
        lo, hi = limits(t)
        low_bound = -hi if (t.overflow == "SAT_SYM" and t.signed) else lo
        over = v > (hi >> k)
        under = v < -((-low_bound) >> k)
        q = v << np.int64(k) if k < 63 else np.zeros_like(v)
        return overflow(q, t, over, under)
    if shift <= 62:
        return overflow(_shift_round(v, shift, t.rounding), t)
    neg = v < 0  # |v| < 2**63 <= half an LSB: only the sign matters
    floor = np.where(neg, np.int64(-1), np.int64(0))
    gt, eq, nonzero = neg.copy(), np.zeros_like(neg), v != 0
    q = floor + _round_up(t.rounding, floor, neg, gt, eq, nonzero).astype(np.int64)
    return overflow(q, t)


def from_float(x: np.ndarray, t: FixedType) -> np.ndarray:
    """Raw integers of ``t(x)`` for floats ``x``, as ``ap_fixed``'s constructor from ``double``."""
    x = np.asarray(x, dtype=np.float64)
    if np.isnan(x).any():
        raise ValueError("NaN cannot be converted to fixed point")
    scaled = np.ldexp(x, t.fractional)
    big = ~(np.abs(scaled) < _BIG)
    safe = np.where(big, 0.0, scaled)
    floor = np.floor(safe)
    rem = safe - floor  # exact
    neg = x < 0
    v = floor.astype(np.int64)
    q = v + _round_up(t.rounding, v, neg, rem > 0.5, rem == 0.5, rem > 0).astype(np.int64)
    out = overflow(q, t)
    if big.any():
        out = out.copy()
        for index in zip(*np.nonzero(big)):
            out[index] = _big_from_float(float(scaled[index]), t)
    return out


def _big_from_float(scaled: float, t: FixedType) -> int:
    """One value far outside any supported range (already scaled by 2**F; an integer or infinite)."""
    lo, hi = limits(t)
    if t.overflow == "WRAP":
        if not np.isfinite(scaled):
            return 0
        return ((int(scaled) - lo) % (1 << t.width)) + lo
    if t.overflow == "SAT_ZERO":
        return 0
    if scaled > 0:
        return hi
    return -hi if (t.overflow == "SAT_SYM" and t.signed) else lo


def to_float(v: np.ndarray, t: FixedType) -> np.ndarray:
    """Exact float64 values of raw integers (exact up to 53 bits)."""
    return np.ldexp(np.asarray(v, dtype=np.float64), -t.fractional)


def to_float32(v: np.ndarray, t: FixedType) -> np.ndarray:
    """``ap_fixed::to_float()``: round to nearest even float32 (exact via float64 up to 53 bits)."""
    return to_float(v, t).astype(np.float32)


def raw_bits(v: np.ndarray, t: FixedType) -> np.ndarray:
    """Two's-complement bit pattern of ``v`` as a non-negative integer below 2**width."""
    return np.asarray(v, dtype=np.int64) & np.int64((1 << t.width) - 1)


def from_bits(bits: np.ndarray, t: FixedType) -> np.ndarray:
    """Raw integers of ``t`` whose bit pattern is ``bits`` (inverse of :func:`raw_bits`)."""
    bits = np.asarray(bits, dtype=np.int64) & np.int64((1 << t.width) - 1)
    if t.signed:
        sign = np.int64(1 << (t.width - 1))
        return np.where(bits >= sign, bits - np.int64(1 << t.width), bits)
    return bits
