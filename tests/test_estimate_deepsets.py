"""estimate:analytic against the recorded l1-jet-id DeepSets syntheses (tests/fixtures/deepsets_syntheses).

Only some of each run's weight files are public; the others are stand-ins, so layer-level checks use
the layers with the run's own weights. The stand-in layers (phi2/phi3 at 8 and 6 bits) take 8-bit
ReLU inputs and never use DSPs, so the DSP totals of those runs depend on real weights only.
"""

from __future__ import annotations

import pytest

import deepsets_rows as dr


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("deepsets")
    out = {}
    for r in dr.record_residuals(str(root)):
        layers = {layer["name"]: layer for layer in r["estimate"].per_layer}
        out[r["case"]] = (r, layers, dr.reported_layers(r["record"]), dr.real_layers(r["record"]))
    return out


@pytest.mark.parametrize("case", ["8bits_8const", "6bits_8const"])
def test_total_dsp_within_25_percent(results, case):
    r, *_ = results[case]
    assert abs(r["dsp_err_pct"]) <= 25, r["dsp_err_pct"]


@pytest.mark.parametrize("case", ["8bits_8const", "6bits_8const"])
@pytest.mark.parametrize("layer", ["phi1", "dense"])
def test_layer_dsp_within_25_percent(results, case, layer):
    """phi1 (12-bit input, one copy per constituent) and the 16-bit-weight output layer on 8-bit inputs."""
    _, estimated, reported, real = results[case]
    assert layer in real
    assert abs(estimated[layer]["dsp"] - reported[layer]["dsp"]) <= 0.25 * reported[layer]["dsp"]


@pytest.mark.parametrize("case", ["8bits_8const", "6bits_8const"])
def test_rho_dsp_known_overestimate(results, case):
    """rho (8/6-bit weights on the 16-bit pooled input): +33 % / +21 % today (docs/hardware_cost.md)."""
    _, estimated, reported, _ = results[case]
    assert reported["rho"]["dsp"] <= estimated["rho"]["dsp"] <= 1.35 * reported["rho"]["dsp"]


def test_four_bit_weights_use_no_dsp_in_phi_and_rho(results):
    _, estimated, reported, _ = results["4bits_8const"]
    for layer in ("phi1", "phi2", "phi3", "rho"):
        assert reported[layer]["dsp"] == 0 and estimated[layer]["dsp"] == 0


@pytest.mark.parametrize("case, layer", [
    ("8bits_8const", "phi1"), ("8bits_8const", "rho"), ("8bits_8const", "dense"),
    ("6bits_8const", "phi1"), ("6bits_8const", "phi3"), ("6bits_8const", "rho"), ("6bits_8const", "dense"),
    ("4bits_8const", "phi2"), ("4bits_8const", "rho"),
])
def test_layer_lut_within_25_percent(results, case, layer):
    """Every layer with the run's own weights; the replicated phi layers carry most of a DeepSets' LUTs."""
    _, estimated, reported, real = results[case]
    assert layer in real
    assert abs(estimated[layer]["lut"] - reported[layer]["lut"]) <= 0.25 * reported[layer]["lut"]


RELUS = {"relu_config4": "phi1_relu", "relu_config7": "phi2_relu", "relu_config10": "phi3_relu",
         "relu_config15": "rho_relu"}


@pytest.mark.parametrize("case", dr.CASES)
def test_rounding_saturating_relu_lut_within_25_percent(results, case):
    """ReLU into ap_ufixed<8,0,RND,SAT>: ~80 LUT per output in these reports (weights play no part)."""
    r, estimated, _, _ = results[case]
    checked = 0
    for row in r["record"].report["instances"]:
        for config, name in RELUS.items():
            if f"_{config}_" in row["module"] + "_":
                assert abs(estimated[name]["lut"] - row["lut"]) <= 0.25 * row["lut"], (name, row["lut"])
                checked += 1
    assert checked == len(RELUS)
