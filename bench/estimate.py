"""Benchmark: how long the hardware-cost estimators take, as one JSON object.

- ``pretrain_ms``: ``estimate:pretrain`` on the tutorial MLP 16-64-32-32-5 (design only), mean of 1000 calls.
- ``analytic_ms``: ``estimate:analytic`` on the converted QKeras tutorial model (weights from the recorded
  run, tests/fixtures/tutorial_syntheses), mean of 20 calls, conversion excluded.
- ``convert_s``: that hls4ml conversion (no compile).
Run: .venv/bin/python bench/estimate.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _mean_seconds(call, repeats: int) -> float:
    call()
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    import tutorial_rows as tr
    from hls_workers.estimate import estimate_design, get_estimator

    mlp = [(16, 64), (64, 32), (32, 32), (32, 5)]
    pretrain = _mean_seconds(lambda: estimate_design(mlp, (6, 6), sparsity=0.75, part="xcu250"), 1000)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        hls_model = tr.convert_row(tr.ROWS[2], tmp)
        convert = time.perf_counter() - start
        estimator = get_estimator("analytic")
        analytic = _mean_seconds(lambda: estimator.estimate(hls_model), 20)
    print(json.dumps({"pretrain_ms": round(pretrain * 1e3, 3), "analytic_ms": round(analytic * 1e3, 2),
                      "convert_s": round(convert, 2)}))


if __name__ == "__main__":
    main()
