"""Run a heavy hardware job in a separate, reusable worker process with a timeout.

A crash (segfault in g++-built code, out of memory) or a hang becomes a :class:`HardwareStageError`
with a reason, never a dead study. The worker is reused between trials so TensorFlow and hls4ml are
imported once.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any, Callable

from joblib.externals.loky import get_reusable_executor
from joblib.externals.loky.process_executor import TerminatedWorkerError


class HardwareStageError(RuntimeError):
    """The hardware stage failed; the message is the reason stored on the trial."""


def run_isolated(func: Callable[..., Any], *args: Any, timeout_s: float) -> Any:
    """``func(*args)`` in the isolated worker, raising :class:`HardwareStageError` on failure or timeout."""
    executor = get_reusable_executor(max_workers=1, timeout=600)
    future = executor.submit(func, *args)
    try:
        return future.result(timeout=max(timeout_s, 1.0))
    except concurrent.futures.TimeoutError as exc:
        executor.shutdown(wait=False, kill_workers=True)
        raise HardwareStageError(f"hardware stage timed out after {timeout_s:.0f} s") from exc
    except TerminatedWorkerError as exc:
        raise HardwareStageError(f"hardware worker crashed: {str(exc).splitlines()[0]}") from exc
    except Exception as exc:  # the job's own exception, re-raised from the worker
        message = str(exc).strip().splitlines()
        raise HardwareStageError(f"{type(exc).__name__}: {message[-1] if message else ''}") from exc
