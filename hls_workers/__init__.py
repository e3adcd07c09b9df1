"""Hardware side of hls-sweep: hls4ml configuration, conversion, bit-accurate emulation, cost proxies.

Knows hls4ml and fixed point; never imports Optuna. The seam with ``sweep`` is the plain records in
:mod:`hls_workers.records`, so a hardware job can run in a subprocess, a pool or another machine.
"""

from hls_workers.records import HardwareJob, HardwareResult, HlsSettings, LayerQuant

__all__ = ["HardwareJob", "HardwareResult", "HlsSettings", "LayerQuant"]
