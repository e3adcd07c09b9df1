"""Run a heavy hardware job in a separate, reusable worker process with a timeout.

A crash (segfault in g++-built code, out of memory) or a hang becomes a :class:`HardwareStageError`
with a reason, never a dead study. The worker is reused between trials so TensorFlow and hls4ml are
imported once.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
from typing import Any, Callable

from joblib.externals.loky.process_executor import ProcessPoolExecutor, TerminatedWorkerError


class HardwareStageError(RuntimeError):
    """The hardware stage failed; the message is the reason stored on the trial."""


_executor: ProcessPoolExecutor | None = None


def _hardware_executor() -> ProcessPoolExecutor:
    """One loky worker of our own (not joblib's shared reusable pool, which ``Parallel`` resizes)."""
    global _executor
    if _executor is None:
        _executor = ProcessPoolExecutor(max_workers=1)
    return _executor


def _discard_executor() -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=False, kill_workers=True)
        _executor = None


def run_isolated(func: Callable[..., Any], *args: Any, timeout_s: float) -> Any:
    """``func(*args)`` in the isolated worker, raising :class:`HardwareStageError` on failure or timeout."""
    future = _hardware_executor().submit(func, *args)
    try:
        return future.result(timeout=max(timeout_s, 1.0))
    except concurrent.futures.TimeoutError as exc:
        _discard_executor()
        raise HardwareStageError(f"hardware stage timed out after {timeout_s:.0f} s") from exc
    except (TerminatedWorkerError, concurrent.futures.process.BrokenProcessPool) as exc:
        _discard_executor()
        raise HardwareStageError(f"hardware worker crashed: {str(exc).splitlines()[0]}") from exc
    except Exception as exc:  # the job's own exception, re-raised from the worker
        message = str(exc).strip().splitlines()
        raise HardwareStageError(f"{type(exc).__name__}: {message[0] if message else ''}") from exc
