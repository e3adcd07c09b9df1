"""``csynth`` / ``vsynth``: run the vendor tools through hls4ml's ``build()`` and read their reports.

Only where ``vitis_hls`` / ``vivado_hls`` (and ``vivado`` for ``vsynth``) are on PATH; elsewhere
``available()`` says which tool is missing and ``estimate`` refuses — never a made-up number. Run it in
an isolated worker with a timeout (:mod:`hls_workers.isolation`): C synthesis takes minutes to hours.
"""

from __future__ import annotations

import shutil
from typing import Any

from hls_workers.estimate.base import Estimator, ResourceEstimate, backend_of, register_estimator, setting
from hls_workers.estimate.reports import read_reports

#: HLS compiler per hls4ml backend.
HLS_TOOLS = {"vitis": "vitis_hls", "vivado": "vivado_hls"}


class _SynthesisEstimator(Estimator):
    vsynth = False

    def _missing(self, backend: str) -> list[str]:
        tools = [HLS_TOOLS.get(backend, "vitis_hls")] + (["vivado"] if self.vsynth else [])
        return [tool for tool in tools if shutil.which(tool) is None]

    def available(self, settings: Any = None) -> tuple[bool, str]:
        backend = str(setting(settings, "backend") or "vitis").lower()
        if backend not in HLS_TOOLS:
            return False, f"backend {backend!r} has no supported synthesis flow (use Vitis or Vivado)"
        missing = self._missing(backend)
        if missing:
            return False, f"{', '.join(missing)} not found on PATH (install AMD Vitis/Vivado and source settings64.sh)"
        return True, ""

    def estimate(self, hls_model_or_design: Any, settings: Any = None) -> ResourceEstimate:
        hls_model = hls_model_or_design
        backend = backend_of(hls_model, settings)
        ok, reason = self.available({"backend": backend})
        if not ok:
            from hls_workers.estimate.base import EstimatorUnavailable

            raise EstimatorUnavailable(f"{self.name}: {reason}")
        hls_model.write()
        hls_model.build(reset=False, csim=False, synth=True, cosim=False, validation=False, export=False,
                        vsynth=self.vsynth)
        reports = read_reports(hls_model.config.get_output_dir())
        return reports[self.name]


@register_estimator("csynth")
class CsynthEstimator(_SynthesisEstimator):
    """Vitis/Vivado HLS C synthesis (csim off)."""

    name = "csynth"


@register_estimator("vsynth")
class VsynthEstimator(_SynthesisEstimator):
    """C synthesis followed by Vivado logic synthesis (post-synthesis utilization)."""

    name = "vsynth"
    vsynth = True
