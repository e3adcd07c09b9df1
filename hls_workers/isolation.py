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


#: How often the hardware worker checks that the process that started it is still there.
PARENT_CHECK_S = 1.0


def _exit_with_parent(parent_pid: int) -> None:
    """Hardware-worker initializer: exit as soon as the trial process that started it is gone (killed with
    ``kill -9``, out of memory), instead of living on with its 500 MB. Linux: the kernel signals it at once
    (``PR_SET_PDEATHSIG``); everywhere: a daemon thread notices the re-parenting within a second."""
    import os
    import signal
    import threading
    import time

    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before this ran
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _hardware_executor() -> ProcessPoolExecutor:
    """One loky worker of our own (not joblib's shared reusable pool, which ``Parallel`` resizes), tied to
    this process's life (:func:`_exit_with_parent`)."""
    global _executor
    if _executor is None:
        import os

        _executor = ProcessPoolExecutor(max_workers=1, initializer=_exit_with_parent, initargs=(os.getpid(),))
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
