"""The hardware stage's isolation: crashes and hangs become reasons, and the next job still runs."""

from __future__ import annotations

import os
import time

import pytest

from hls_workers.isolation import HardwareStageError, run_isolated


def _pid() -> int:
    return os.getpid()


def _crash() -> None:
    os._exit(139)


def _hang() -> None:
    time.sleep(60)


def _fail() -> None:
    raise ValueError("bad layer\nwith detail")


def test_result_comes_from_another_process() -> None:
    assert run_isolated(_pid, timeout_s=60) != os.getpid()


def test_crash_becomes_a_reason_and_the_worker_is_replaced() -> None:
    with pytest.raises(HardwareStageError, match="crashed"):
        run_isolated(_crash, timeout_s=60)
    assert run_isolated(_pid, timeout_s=60) != os.getpid()


def test_hang_times_out() -> None:
    start = time.monotonic()
    with pytest.raises(HardwareStageError, match="timed out"):
        run_isolated(_hang, timeout_s=2)
    assert time.monotonic() - start < 30
    assert run_isolated(_pid, timeout_s=60) != os.getpid()


def test_job_exception_keeps_its_type_and_last_line() -> None:
    with pytest.raises(HardwareStageError, match=r"^ValueError: bad layer$"):
        run_isolated(_fail, timeout_s=60)
