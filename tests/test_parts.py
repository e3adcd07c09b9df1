"""The FPGA part table."""

from __future__ import annotations

import pytest

from hls_workers.estimate import ResourceEstimate
from hls_workers.parts import known_parts, lookup_part, percent_of_device

REQUIRED = ["xcvu13p-flga2577-2-e", "xcvu9p-flga2104-2L-e", "xcu250-figd2104-2L-e", "xcu200-fsgd2104-2-e",
            "xczu9eg-ffvb1156-2-e", "xc7z020clg400-1"]


def test_required_parts_present():
    assert set(REQUIRED) <= set(known_parts())


def test_lookup_full_prefix_and_case():
    assert lookup_part("xcu250-figd2104-2L-e").dsp == 12288
    assert lookup_part("xcvu13p").name == "xcvu13p-flga2577-2-e"
    assert lookup_part("XC7Z020").family == "7series"
    assert lookup_part("xczu9eg").family == "ultrascale_plus"


def test_unknown_and_ambiguous_list_known_parts():
    with pytest.raises(ValueError, match="known parts: .*xcvu13p-flga2577-2-e"):
        lookup_part("xcku115")
    with pytest.raises(ValueError, match="ambiguous"):
        lookup_part("xcvu")


def test_fixture_device_totals_match_report():
    # xc7z020 totals as printed in the Vivado fixture report: 53200 LUT, 106400 FF, 220 DSP, 280 BRAM_18K
    part = lookup_part("xc7z020clg400-1")
    assert (part.lut, part.ff, part.dsp, part.bram_18k) == (53200, 106400, 220, 280)


def test_percent_of_device():
    est = ResourceEstimate.from_values("x", lut=5320, dsp=22, ff=None, bram_18k=0)
    pct = percent_of_device(est, "xc7z020")
    assert pct["lut"] == pytest.approx(10.0) and pct["dsp"] == pytest.approx(10.0)
    assert pct["ff"] is None and pct["bram_18k"] == 0
    assert percent_of_device({"lut": 17280}, "xcvu13p")["lut"] == pytest.approx(1.0)
