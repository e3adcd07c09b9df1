"""One function per hls4ml layer kind, on raw fixed-point integers batched over samples.

Each reproduces the arithmetic of the matching ``nnet_utils`` C++ template (Vivado/Vitis backends,
``io_parallel``): which type every intermediate value is held in, and where it is converted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hls_workers.fixed_point import FixedType
from hls_workers.numpy_emulator.fixed import cast, limits, overflow

#: Largest |integer| a float64 matmul sums exactly.
_FLOAT_EXACT = float(2**53)


def _add(acc: np.ndarray, acc_t: FixedType, term: np.ndarray, term_frac: int) -> np.ndarray:
    """``acc += term`` in ``acc_t``: the exact sum converted back to ``acc_t`` (its rounding and overflow)."""
    frac = max(acc_t.fractional, term_frac)
    total = (acc << np.int64(frac - acc_t.fractional)) + (term << np.int64(frac - term_frac))
    return cast(total, frac, acc_t)


def _exact_matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Integer ``x @ w``: BLAS in float64 when every partial sum is exact, else int64 (mod 2**64)."""
    x_max = max(abs(int(x.max(initial=0))), abs(int(x.min(initial=0))))
    if x_max * float(np.abs(w).sum(axis=0).max(initial=0)) < _FLOAT_EXACT:
        return (x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)  # exact integers
    return np.matmul(x, w)


def dense(x: np.ndarray, x_t: FixedType, w: np.ndarray, w_t: FixedType, b: np.ndarray, b_t: FixedType,
          accum_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``nnet::dense`` (and a pointwise Conv1D per position): x (M, n_in), w (n_in, n_out), b (n_out,).

    Every product ``x*w`` is converted to ``accum_t``; the accumulator starts at the bias converted to
    ``accum_t`` and adds the products in input order, each sum held in ``accum_t``; the result is
    ``accum_t`` converted to ``result_t``. With a WRAP accumulator and products that need no rounding
    this is one integer matmul modulo 2**width.
    """
    prod_frac = x_t.fractional + w_t.fractional
    bias = cast(b, b_t.fractional, accum_t)
    if accum_t.overflow == "WRAP" and prod_frac <= accum_t.fractional:
        acc = _exact_matmul(x, w)
        if accum_t.fractional > prod_frac:
            acc <<= np.int64(accum_t.fractional - prod_frac)
        acc += bias[None, :]
        acc = overflow(acc, accum_t)
    else:
        acc = np.broadcast_to(bias, (x.shape[0], w.shape[1])).astype(np.int64)
        for i in range(x.shape[1]):
            product = cast(x[:, i:i + 1] * w[i][None, :], prod_frac, accum_t)
            acc = _add(acc, accum_t, product, accum_t.fractional)
    return cast(acc, accum_t.fractional, result_t)


def relu(x: np.ndarray, x_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``nnet::relu``: ``res = x > 0 ? x : 0`` converted to the result type."""
    return cast(np.maximum(x, np.int64(0)), x_t.fractional, result_t)


def linear(x: np.ndarray, x_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``nnet::linear``: a plain conversion."""
    return cast(x, x_t.fractional, result_t)


def batchnorm(x: np.ndarray, x_t: FixedType, scale: np.ndarray, scale_t: FixedType, bias: np.ndarray,
              bias_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``nnet::normalize``: ``x*scale + bias`` at full precision, converted to the result type.

    ``scale``/``bias`` broadcast over the last axis of ``x``.
    """
    prod_frac = x_t.fractional + scale_t.fractional
    frac = max(prod_frac, bias_t.fractional)
    total = ((x * scale) << np.int64(frac - prod_frac)) + (bias << np.int64(frac - bias_t.fractional))
    return cast(total, frac, result_t)


def _max_then_cast(windows: np.ndarray, x_t: FixedType, accum_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``nnet::max``: maximum in the data type, returned as ``accum_t``, stored as ``result_t``."""
    pooled = cast(windows.max(axis=-2), x_t.fractional, accum_t)
    return cast(pooled, accum_t.fractional, result_t)


def _sum_items(windows: np.ndarray, x_t: FixedType, accum_t: FixedType) -> np.ndarray:
    """Sum over axis -2 into ``accum_t``, starting at 0, items in order, each partial sum converted to ``accum_t``.

    With a WRAP accumulator that keeps every fractional bit this is the exact sum modulo 2**width.
    """
    if accum_t.overflow == "WRAP" and x_t.fractional <= accum_t.fractional:
        total = windows.sum(axis=-2) << np.int64(accum_t.fractional - x_t.fractional)
        return overflow(total, accum_t)
    acc = np.zeros(windows.shape[:-2] + windows.shape[-1:], dtype=np.int64)
    for i in range(windows.shape[-2]):
        acc = _add(acc, accum_t, windows[..., i, :], x_t.fractional)
    return acc


def global_sum_pooling1d(x: np.ndarray, x_t: FixedType, accum_t: FixedType, result_t: FixedType) -> np.ndarray:
    """``nnet::global_sum_pooling1d`` (hls_workers/extensions/nnet_sum_pooling.h) over x (N, items, features):
    per feature, ``acc += x[item]`` in ``accum_t`` over the items in order, then one conversion to ``result_t``."""
    return cast(_sum_items(x, x_t, accum_t), accum_t.fractional, result_t)


def _avg_then_cast(windows: np.ndarray, lengths: np.ndarray | int, x_t: FixedType, accum_t: FixedType,
                   result_t: FixedType) -> np.ndarray:
    """``nnet::avg``: sum into ``accum_t`` (each partial sum converted), ``y /= length`` in ``accum_t``.

    The division is ap_fixed's: integer division of the raw accumulator, truncating toward zero.
    """
    acc = _sum_items(windows, x_t, accum_t)
    lengths = np.asarray(lengths, dtype=np.int64)
    quotient = np.abs(acc) // lengths
    acc = np.where(acc < 0, -quotient, quotient)
    return cast(acc, accum_t.fractional, result_t)


def global_pooling1d(x: np.ndarray, x_t: FixedType, op: str, accum_t: FixedType,
                     result_t: FixedType) -> np.ndarray:
    """``nnet::global_pooling1d_cl`` over x (N, steps, channels) -> (N, channels)."""
    if op == "Max":
        return _max_then_cast(x, x_t, accum_t, result_t)
    return _avg_then_cast(x, x.shape[1], x_t, accum_t, result_t)


@dataclass(frozen=True)
class Pool1DGeometry:
    """The ``pooling1d_config`` of one layer."""

    n_in: int
    pool_width: int
    stride_width: int
    pad_left: int
    pad_right: int
    count_pad: bool


def pooling1d(x: np.ndarray, x_t: FixedType, op: str, geometry: Pool1DGeometry, accum_t: FixedType,
              result_t: FixedType) -> np.ndarray:
    """``nnet::pooling1d_cl`` over x (N, n_in, channels): padded cells hold the type's minimum (max) or 0."""
    g = geometry
    full = g.n_in + g.pad_left + g.pad_right
    n_out = (full - g.pool_width) // g.stride_width + 1
    pad_value = limits(x_t)[0] if (op == "Max" and x_t.signed) else 0
    if op == "Max" and not x_t.signed:
        pad_value = 1 << (x_t.width - 1)  # pad_val sets the top bit: half the range for unsigned types
    padded = np.full((x.shape[0], full, x.shape[2]), pad_value, dtype=np.int64)
    padded[:, g.pad_left:g.pad_left + g.n_in] = x
    starts = np.arange(n_out) * g.stride_width
    index = starts[:, None] + np.arange(g.pool_width)[None, :]
    windows = padded[:, index]  # (N, n_out, pool_width, channels)
    if op == "Max":
        return _max_then_cast(windows, x_t, accum_t, result_t)
    inside = (index >= g.pad_left) & (index < g.pad_left + g.n_in)
    lengths = np.full(n_out, g.pool_width) if g.count_pad else inside.sum(axis=1)
    return _avg_then_cast(windows, lengths[None, :, None], x_t, accum_t, result_t)
