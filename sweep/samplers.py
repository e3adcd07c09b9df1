"""Samplers by name. Optuna 5 changed its multi-objective default, so studies always name one."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import optuna


def _nsga2(seed: int | None, **options: Any) -> optuna.samplers.BaseSampler:
    return optuna.samplers.NSGAIISampler(seed=seed, **options)


def _nsga3(seed: int | None, **options: Any) -> optuna.samplers.BaseSampler:
    return optuna.samplers.NSGAIIISampler(seed=seed, **options)


def _tpe(seed: int | None, **options: Any) -> optuna.samplers.BaseSampler:
    return optuna.samplers.TPESampler(seed=seed, **options)


def _random(seed: int | None, **options: Any) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed, **options)


def _gp(seed: int | None, **options: Any) -> optuna.samplers.BaseSampler:
    reason = unavailable_reason("gp")
    if reason:
        raise ValueError(reason)
    return optuna.samplers.GPSampler(seed=seed, **options)


def unavailable_reason(name: str) -> str | None:
    """Why the sampler ``name`` cannot run in this environment, or None when it can.

    Optuna 5's GPSampler builds without PyTorch but imports it (and SciPy) at its first sample; the
    pinned stack leaves PyTorch out, so ``gp`` is refused when validating the study file.
    """
    if name != "gp":
        return None
    import importlib.util

    missing = [pkg for pkg, module in (("PyTorch", "torch"), ("SciPy", "scipy"))
               if importlib.util.find_spec(module) is None]
    if not missing:
        return None
    usable = ", ".join(n for n in SAMPLERS if n != "gp")
    return (f"the gp sampler needs {' and '.join(missing)}, which the pinned stack leaves out; "
            f"use one of {usable}")


def _qmc(seed: int | None, **options: Any) -> optuna.samplers.BaseSampler:
    return optuna.samplers.QMCSampler(seed=seed, **options)


def _grid(seed: int | None, search_space: dict[str, list[Any]] | None = None,
          **options: Any) -> optuna.samplers.BaseSampler:
    """Every point of the study's space once (:func:`sweep.space.grid_search_space` builds ``search_space``
    from ``space:``; validation builds it with an empty one)."""
    return optuna.samplers.GridSampler(search_space or {}, seed=seed, **options)


SAMPLERS: dict[str, Callable[..., optuna.samplers.BaseSampler]] = {
    "nsga2": _nsga2,
    "nsga3": _nsga3,
    "tpe": _tpe,
    "random": _random,
    "gp": _gp,
    "qmc": _qmc,
    "grid": _grid,
}


def construct(name: str, seed: int | None, options: dict[str, Any]) -> optuna.samplers.BaseSampler:
    """The named sampler (Optuna's "experimental" warnings silenced); raises TypeError/ValueError on bad options."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return SAMPLERS[name](seed, **options)


def make_sampler(name: str, seed: int | None, options: dict[str, Any]) -> optuna.samplers.BaseSampler:
    """The named sampler; bad ``options`` become a :class:`~sweep.errors.UserError`.

    The seed it was built with is kept as ``sampler.hls_sweep_seed`` (recorded on every trial).
    """
    from sweep.errors import UserError

    try:
        sampler = construct(name, seed, options)
        sampler.hls_sweep_seed = seed  # type: ignore[attr-defined]
        return sampler
    except (TypeError, ValueError) as exc:
        raise UserError(f"sampler.options: {exc}") from None
