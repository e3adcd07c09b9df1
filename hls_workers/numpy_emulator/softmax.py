"""hls4ml's lookup-table softmax (``nnet_activation.h``: ``softmax_stable`` and ``softmax_latency``).

Tables are built as the C++ does at start-up: the table input is a value whose top ``ceil(log2(size))``
bits are the index, converted to float; ``std::exp`` in float (glibc ``expf``, called through ctypes so
the values are the same) or ``1/x`` in float; the float is converted to the table type.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hls_workers.fixed_point import FixedType
from hls_workers.numpy_emulator.fixed import cast, from_bits, from_float, raw_bits, to_float32


@dataclass(frozen=True)
class SoftmaxConfig:
    """The ``softmax_config`` struct of one layer (types and sizes as the generated C++ has them)."""

    implementation: str
    exp_table_size: int
    inv_table_size: int
    exp_scale: float
    exp_table_t: FixedType
    inv_table_t: FixedType
    accum_t: FixedType
    inv_inp_t: FixedType
    inp_norm_t: FixedType | None


def ceillog2(x: int) -> int:
    """``nnet::ceillog2``."""
    return 1 if x <= 2 else 1 + ceillog2((x + 1) // 2)


def floorlog2(x: int) -> int:
    """``nnet::floorlog2``."""
    return 0 if x < 2 else 1 + floorlog2(x // 2)


@lru_cache(maxsize=1)
def _expf():
    path = ctypes.util.find_library("m")
    if path is None:
        return None
    func = ctypes.CDLL(path).expf
    func.restype, func.argtypes = ctypes.c_float, [ctypes.c_float]
    return func


def expf(x: np.ndarray) -> np.ndarray:
    """float32 ``std::exp`` as the C++ emulator computes it (libm's ``expf``)."""
    func = _expf()
    x = np.asarray(x, dtype=np.float32)
    if func is None:
        return np.exp(x)
    return np.array([func(float(v)) for v in x], dtype=np.float32)


def index_of(v: np.ndarray, t: FixedType, table_size: int) -> np.ndarray:
    """``softmax_idx_from_real_val``: the top ceil(log2(size)) bits of the value's bit pattern."""
    n = ceillog2(table_size)
    return (raw_bits(v, t) >> np.int64(t.width - n)) & np.int64((1 << n) - 1)


def table_inputs(t: FixedType, table_size: int) -> np.ndarray:
    """``softmax_real_val_from_idx`` for every index, as float32."""
    n = ceillog2(table_size)
    bits = np.arange(table_size, dtype=np.int64) << np.int64(t.width - n)
    return to_float32(from_bits(bits, t), t)


def exp_table(cfg: SoftmaxConfig, address_t: FixedType, negative: bool) -> np.ndarray:
    """``init_exp_table``: raw integers of ``exp_table_t``."""
    x = table_inputs(address_t, cfg.exp_table_size) * np.float32(cfg.exp_scale)
    if negative:
        x = -x
    return from_float(expf(x).astype(np.float64), cfg.exp_table_t)


def invert_table(cfg: SoftmaxConfig) -> np.ndarray:
    """``init_invert_table``: raw integers of ``inv_table_t`` (1/0 is +inf, converted like ap_fixed does)."""
    x = table_inputs(cfg.inv_inp_t, cfg.inv_table_size)
    with np.errstate(divide="ignore"):
        inv = np.float32(1) / x
    return from_float(inv.astype(np.float64), cfg.inv_table_t)


def _reduce(values: list[np.ndarray], op) -> np.ndarray:
    """``nnet::reduce``: the balanced tree the C++ builds (left part = largest power of two below n)."""
    n = len(values)
    if n == 1:
        return values[0]
    if n == 2:
        return op(values[0], values[1])
    left = 2 ** floorlog2(n - 1)
    return op(_reduce(values[:left], op), _reduce(values[left:], op))


def unsupported_reason(cfg: SoftmaxConfig, x_t: FixedType) -> str | None:
    """Why this softmax cannot be emulated here, or ``None``."""
    if cfg.implementation not in ("stable", "latency"):
        return f"softmax implementation {cfg.implementation!r}"
    address_t = cfg.inp_norm_t if cfg.implementation == "stable" else x_t
    if address_t is None:
        return "softmax inp_norm_t unknown"
    for name, t, size in (("exp", address_t, cfg.exp_table_size), ("inv", cfg.inv_inp_t, cfg.inv_table_size)):
        if t.width < ceillog2(size) or size < 1:
            return f"softmax {name} table of {size} entries addressed by {t.hls()}"
    if cfg.accum_t.width + cfg.inv_table_t.width > 62:
        return "softmax product wider than 62 bits"
    return None


def softmax(x: np.ndarray, x_t: FixedType, cfg: SoftmaxConfig, result_t: FixedType) -> np.ndarray:
    """Softmax over the last axis of x (N, n)."""
    acc_t = cfg.accum_t
    if cfg.implementation == "stable":
        assert cfg.inp_norm_t is not None
        table = exp_table(cfg, cfg.inp_norm_t, negative=True)
        x_max = x.max(axis=1, keepdims=True)
        norm = cast(x_max - x, x_t.fractional, cfg.inp_norm_t)
        address = index_of(norm, cfg.inp_norm_t, cfg.exp_table_size)
    else:
        table = exp_table(cfg, x_t, negative=False)
        address = index_of(x, x_t, cfg.exp_table_size)
    exp_res = cast(table[address], cfg.exp_table_t.fractional, acc_t)

    def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cast(a + b, acc_t.fractional, acc_t)

    exp_sum = _reduce([exp_res[:, i] for i in range(exp_res.shape[1])], add)
    exp_sum = cast(exp_sum, acc_t.fractional, cfg.inv_inp_t)
    inv = invert_table(cfg)[index_of(exp_sum, cfg.inv_inp_t, cfg.inv_table_size)]
    product = exp_res * inv[:, None]
    return cast(product, acc_t.fractional + cfg.inv_table_t.fractional, result_t)

