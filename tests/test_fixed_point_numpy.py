"""ap_fixed conversions on int64 arrays vs an independent exact reference (``fractions.Fraction``)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from hls_workers.fixed_point import FixedType
from hls_workers.numpy_emulator.fixed import cast, from_float, to_float

ROUNDING = ["TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_INF", "RND_MIN_INF", "RND_CONV"]
OVERFLOW = ["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"]
SHAPES = [(6, 2, True), (6, 2, False), (8, 1, True), (5, 7, True), (4, -2, True), (7, 0, False), (1, 1, True)]


def reference(value: Fraction, t: FixedType) -> Fraction:
    """The ap_fixed rules on an exact value: round to the LSB grid, then handle overflow."""
    lsb = Fraction(1, 2**t.fractional) if t.fractional >= 0 else Fraction(2**-t.fractional)
    scaled = value / lsb
    floor = math.floor(scaled)
    rem = scaled - floor
    half = Fraction(1, 2)
    up = {
        "TRN": False,
        "TRN_ZERO": value < 0 and rem != 0,
        "RND": rem >= half,
        "RND_ZERO": rem > half or (rem == half and value < 0),
        "RND_INF": rem > half or (rem == half and value > 0),
        "RND_MIN_INF": rem > half,
        "RND_CONV": rem > half or (rem == half and floor % 2 == 1),
    }[t.rounding]
    q = floor + int(up)
    lo, hi = (-(2 ** (t.width - 1)), 2 ** (t.width - 1) - 1) if t.signed else (0, 2**t.width - 1)
    if t.overflow == "WRAP":
        q = (q - lo) % (2**t.width) + lo
    elif t.overflow == "SAT_ZERO":
        q = 0 if (q > hi or q < lo) else q
    elif t.overflow == "SAT":
        q = min(max(q, lo), hi)
    else:  # SAT_SYM: symmetric range for signed types
        q = min(max(q, -hi if t.signed else lo), hi)
    return q * lsb


def all_types():
    for (w, i, s), q, o in itertools.product(SHAPES, ROUNDING, OVERFLOW):
        yield FixedType(w, i, s, q, o)


def interesting_values(rng: np.random.Generator, t_src: FixedType, n: int = 300) -> np.ndarray:
    """Raw integers of ``t_src``: its extremes, zero, +-1 LSB and random values."""
    lo = -(2 ** (t_src.width - 1)) if t_src.signed else 0
    hi = 2 ** (t_src.width - 1) - 1 if t_src.signed else 2**t_src.width - 1
    edge = [lo, lo + 1, hi, hi - 1, 0, 1, -1 if t_src.signed else 2, lo // 2, hi // 2]
    return np.array(edge + list(rng.integers(lo, hi + 1, size=n)), dtype=np.int64)


SOURCES = [FixedType(12, 5, True), FixedType(10, 3, False), FixedType(9, 9, True), FixedType(16, 2, True),
           FixedType(6, 4, True)]


@pytest.mark.parametrize("source", SOURCES, ids=str)
def test_cast_between_fixed_types_matches_exact_reference(source: FixedType) -> None:
    rng = np.random.default_rng(source.width)
    raw = interesting_values(rng, source)
    exact = [Fraction(int(v), 2**source.fractional) for v in raw]
    for target in all_types():
        got = to_float(cast(raw, source.fractional, target), target)
        want = np.array([float(reference(v, target)) for v in exact])
        bad = np.nonzero(got != want)[0]
        assert bad.size == 0, f"{source} -> {target}: {exact[bad[0]]} gave {got[bad[0]]}, want {want[bad[0]]}"


def float_samples(rng: np.random.Generator) -> np.ndarray:
    """Random floats around the types' ranges plus ties, extremes and values crossing zero."""
    ticks = np.arange(-64, 65) / 16.0  # many exact ties for every type here
    return np.concatenate([
        ticks, ticks + 1 / 64, ticks - 1 / 64, [0.0, -0.0, 1e-9, -1e-9, 1e300, -1e300, 31.99, -32.0, 2**40, -(2**40)],
        rng.normal(scale=4.0, size=400), rng.uniform(-200, 200, size=200),
        rng.normal(size=100).astype(np.float32).astype(np.float64),
    ])


def test_from_float_matches_exact_reference() -> None:
    x = float_samples(np.random.default_rng(7))
    exact = [Fraction(v) for v in x]
    for target in all_types():
        got = to_float(from_float(x, target), target)
        want = np.array([float(reference(v, target)) for v in exact])
        bad = np.nonzero(got != want)[0]
        assert bad.size == 0, f"{target}: {x[bad[0]]!r} gave {got[bad[0]]}, want {want[bad[0]]}"


def test_from_float_infinities_and_nan() -> None:
    sat, wrap = FixedType(8, 3, True, "RND", "SAT"), FixedType(8, 3, True, "RND", "WRAP")
    x = np.array([np.inf, -np.inf])
    assert list(to_float(from_float(x, sat), sat)) == [127 / 32, -4.0]
    assert list(from_float(x, wrap)) == [0, 0]  # ap_fixed shifts the mantissa out entirely
    with pytest.raises(ValueError):
        from_float(np.array([np.nan]), sat)


def test_wide_shifts_keep_wrap_and_saturation() -> None:
    narrow = FixedType(4, 2, True, "TRN", "WRAP")
    raw = np.array([1, -1, 5, -(2**40)], dtype=np.int64)
    for target in (FixedType(60, 2, True, "RND", "SAT"), FixedType(40, 30, True, "RND_CONV", "SAT_SYM"), narrow):
        got = to_float(cast(raw, 45, target), target)
        want = [float(reference(Fraction(int(v), 2**45), target)) for v in raw]
        assert list(got) == want, target
