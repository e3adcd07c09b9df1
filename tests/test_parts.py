"""The FPGA part table: rows and their sources, family filter, coefficient choice, near-name suggestions and
``sweep parts``. Pure logic: nothing here imports TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hls_workers.estimate import ResourceEstimate
from hls_workers.estimate.coefficients import families as coefficient_files
from hls_workers.parts import (ARCHITECTURES, MAX_SUGGESTIONS, coefficient_family, device_of, families, known_parts,
                               lookup_part, parts_of, percent_of_device, sources, suggest_parts)

ROOT = Path(__file__).resolve().parents[1]
TABLE = json.loads((ROOT / "hls_workers" / "parts.json").read_text())
ROWS = {name: spec for name, spec in TABLE.items() if not name.startswith("_")}

REQUIRED = ["xcvu13p-flga2577-2-e", "xcvu9p-flga2104-2L-e", "xcu250-figd2104-2L-e", "xcu200-fsgd2104-2-e",
            "xczu9eg-ffvb1156-2-e", "xc7z020clg400-1"]
#: Devices per family (the counts docs/hardware_cost.md gives).
FAMILIES = {"artix7": 6, "kintex7": 5, "virtex7": 5, "zynq7000": 8, "kintex_ultrascale": 4, "virtex_ultrascale": 4,
            "artix_ultrascale_plus": 3, "kintex_ultrascale_plus": 7, "virtex_ultrascale_plus": 10,
            "zynq_ultrascale_plus": 9, "zynq_rfsoc": 1, "alveo": 5, "versal": 2}
FIELDS = {"family", "architecture", "lut", "ff", "dsp", "bram_18k", "uram", "source", "note"}


# ---------------------------------------------------------------- the table itself


def test_required_parts_keep_names_and_values():
    assert set(REQUIRED) <= set(known_parts())
    assert lookup_part("xcvu13p-flga2577-2-e").totals() == {"lut": 1728000, "ff": 3456000, "dsp": 12288,
                                                           "bram_18k": 5376}
    assert lookup_part("xcvu9p-flga2104-2L-e").totals() == {"lut": 1182240, "ff": 2364480, "dsp": 6840,
                                                           "bram_18k": 4320}
    assert lookup_part("xczu9eg-ffvb1156-2-e").totals() == {"lut": 274080, "ff": 548160, "dsp": 2520,
                                                           "bram_18k": 1824}


def test_every_row_is_complete_and_cites_a_source():
    docs = sources()
    for name, spec in ROWS.items():
        assert set(spec) == FIELDS, name
        for key in ("lut", "ff", "dsp", "bram_18k"):
            assert isinstance(spec[key], int) and spec[key] > 0, (name, key)
        assert isinstance(spec["uram"], int) and spec["uram"] >= 0, name
        assert spec["bram_18k"] % 2 == 0, name  # counted as 2 x 36 Kb blocks
        assert spec["ff"] == 2 * spec["lut"], name  # every listed CLB has two flip-flops per LUT
        assert spec["architecture"] in ARCHITECTURES, name
        assert spec["source"] in docs and docs[spec["source"]].startswith("AMD "), name
        assert spec["note"], name


def test_families_cover_the_issue_and_names_match_their_family():
    assert {family: len(known_parts(family)) for family in families()} == FAMILIES
    assert sum(FAMILIES.values()) == len(known_parts()) == 69
    prefixes = {"artix7": "xc7a", "kintex7": "xc7k", "virtex7": "xc7v", "zynq7000": "xc7z", "kintex_ultrascale": "xcku",
                "virtex_ultrascale": "xcvu", "artix_ultrascale_plus": "xcau", "kintex_ultrascale_plus": "xcku",
                "virtex_ultrascale_plus": "xcvu", "zynq_ultrascale_plus": "xczu", "zynq_rfsoc": "xczu",
                "alveo": "xcu", "versal": "xcv"}
    for part in parts_of():
        assert part.name.startswith(prefixes[part.family]), part.name
    for name in ("xc7a50t-csg324-1", "xczu3eg-sbva484-1-e", "xcu55c-fsvh2892-2L-e", "xcvc1902-vsva2197-2MP-e-S",
                 "xcvu37p-fsvh2892-2-e", "xcku115-flvb2104-2-i", "xc7k325t-ffg900-2"):
        assert name in known_parts(), name


@pytest.mark.parametrize("name, totals, uram", [
    # the 'Available' row of a Vivado HLS 2019.1 csynth report for this part (hls4ml tutorial notes)
    ("xcu250-figd2104-2L-e", {"lut": 1728000, "ff": 3456000, "dsp": 12288, "bram_18k": 5376}, 1280),
    # AvailableResources of tests/fixtures/vivado_reports/myproject_csynth.xml
    ("xc7z020clg400-1", {"lut": 53200, "ff": 106400, "dsp": 220, "bram_18k": 280}, 0),
])
def test_spot_values_against_tool_reports(name, totals, uram):
    part = lookup_part(name)
    assert part.totals() == totals and part.uram == uram


def test_spot_values_against_the_stored_xmp103_page():
    # XMP103 v2.2 page 2 (stored copy): DSP slices and 36K block RAM blocks; LUT/FF in thousands
    for name, dsp, blocks36, lut_k in (("xcau7p", 216, 108, 37), ("xcau15p", 576, 144, 78),
                                       ("xcau25p", 1200, 300, 141)):
        part = lookup_part(name)
        assert (part.dsp, part.bram_18k, round(part.lut / 1000)) == (dsp, 2 * blocks36, lut_k), name
    a35t = lookup_part("xc7a35t")  # Vivado report_utilization 'Available' column for xc7a35t
    assert (a35t.lut, a35t.ff) == (20800, 41600)


def test_fixture_device_totals_match_report():
    # xc7z020 totals as printed in the Vivado fixture report: 53200 LUT, 106400 FF, 220 DSP, 280 BRAM_18K
    text = (ROOT / "tests" / "fixtures" / "vivado_reports" / "myproject_csynth.xml").read_text()
    available = text.split("<AvailableResources>")[1].split("</AvailableResources>")[0]
    part = lookup_part("xc7z020clg400-1")
    for tag, value in (("BRAM_18K", part.bram_18k), ("DSP48E", part.dsp), ("FF", part.ff), ("LUT", part.lut)):
        assert f"<{tag}>{value}</{tag}>" in available


# ---------------------------------------------------------------- lookup, family filter, suggestions


def test_lookup_full_prefix_and_case():
    assert lookup_part("xcu250-figd2104-2L-e").dsp == 12288
    assert lookup_part("xcvu13p").name == "xcvu13p-flga2577-2-e"
    assert lookup_part("XC7Z020").architecture == "7series"
    assert lookup_part("xczu9eg").architecture == "ultrascale_plus"
    assert lookup_part("xc7a50").name == "xc7a50t-csg324-1"  # a unique prefix is the device hls4ml is given
    assert lookup_part("xczu3").name == "xczu3eg-sbva484-1-e"


@pytest.mark.parametrize("name, listed", [
    ("xc7z020-clg400-1", "xc7z020clg400-1"),  # hls4ml's spelling of the Pynq-Z2 part
    ("xc7z020clg484-1", "xc7z020clg400-1"),  # another package, glued as Vivado writes 7-series names
    ("xcvu9p-flga2104-2-e", "xcvu9p-flga2104-2L-e"),  # another speed grade
    ("xc7a50tcsg324-1", "xc7a50t-csg324-1"),
])
def test_another_package_or_speed_grade_of_a_listed_device(name: str, listed: str) -> None:
    """Capacities are per device: the listed row's totals, under the name the user gave (hls4ml is given it)."""
    found = lookup_part(name)
    assert found.name == name and device_of(name) == device_of(listed)
    assert found.totals() == lookup_part(listed).totals() and found.family == lookup_part(listed).family


def test_device_of_strips_package_speed_and_temperature() -> None:
    assert [device_of(n) for n in ("xcvu13p-flga2577-2-e", "xc7z020clg400-1", "xc7vx690tffg1927-2", "xcu250")] == [
        "xcvu13p", "xc7z020", "xc7vx690t", "xcu250"]
    with pytest.raises(ValueError, match="unknown FPGA part"):
        lookup_part("xc7z099-clg400-1")  # no such device: a package of its own does not make it one


def test_family_filter():
    artix = parts_of("artix7")
    assert artix and {p.family for p in artix} == {"artix7"}
    assert [p.name for p in artix] == sorted((p.name for p in artix), key=lambda n: lookup_part(n).lut)
    assert len(parts_of()) == len(known_parts()) == len(ROWS)
    with pytest.raises(ValueError, match="unknown part family 'artix9'; one of .*artix7.*versal"):
        parts_of("artix9")


def _named(message: str) -> list[str]:
    return [name for name in known_parts() if name in message]


@pytest.mark.parametrize("typo, first", [
    ("xc7a50tt", "xc7a50t-csg324-1"),
    ("xcvu13p-flga2577-1-e", "xcvu13p-flga2577-2-e"),
    ("xczu3cg", "xczu3eg-sbva484-1-e"),
    ("xcu55", "xcu55c-fsvh2892-2L-e"),
])
def test_suggestions_for_typos(typo, first):
    assert suggest_parts(typo)[0] == first


def test_unknown_part_is_one_line_with_a_few_near_names():
    with pytest.raises(ValueError) as info:
        lookup_part("xc7a50tt")
    message = str(info.value)
    assert message.startswith("unknown FPGA part 'xc7a50tt'; did you mean xc7a50t-csg324-1")
    assert "\n" not in message and 1 <= len(_named(message)) <= MAX_SUGGESTIONS and "sweep parts" in message
    with pytest.raises(ValueError, match="no similar name in the part table") as info:
        lookup_part("stratix10")
    assert _named(str(info.value)) == []


def test_ambiguous_prefix_lists_the_first_matches_only():
    with pytest.raises(ValueError) as info:
        lookup_part("xczu")
    message = str(info.value)
    assert "ambiguous" in message and "xczu2eg-sbva484-1-e" in message and " more; give more of the name" in message
    assert len(_named(message)) == MAX_SUGGESTIONS
    with pytest.raises(ValueError, match="ambiguous"):
        lookup_part("xcvu")


def test_config_validator_shares_the_suggestions():
    from pydantic import ValidationError

    from sweep.config import Hls4mlConfig

    assert Hls4mlConfig(part="xczu3eg").part == "xczu3eg-sbva484-1-e"
    with pytest.raises(ValidationError) as info:
        Hls4mlConfig(part="xc7a50tt")
    assert "unknown FPGA part 'xc7a50tt'; did you mean xc7a50t-csg324-1" in str(info.value)


# ---------------------------------------------------------------- architecture → cost coefficients


def test_every_architecture_maps_to_an_existing_coefficient_file():
    for part in parts_of():
        assert coefficient_family(part) in coefficient_files(), part.name


@pytest.mark.parametrize("name, expected, fallback", [
    ("xc7a50t", "7series", False), ("xcvu13p", "ultrascale_plus", False), ("xcu55c", "ultrascale_plus", False),
    ("xcku115", "ultrascale_plus", True), ("xcvc1902", "ultrascale_plus", True),
])
def test_coefficient_family_and_uncalibrated_note(name, expected, fallback):
    notes: list[str] = []
    assert coefficient_family(name, notes) == expected
    arch = lookup_part(name).architecture
    assert notes == ([f"coefficients: {lookup_part(name).name} is {arch}, which has no calibrated coefficients; "
                      f"ultrascale_plus coefficients used (not calibrated for {arch})"] if fallback else [])


def test_pretrain_estimate_carries_the_fallback_note():
    from hls_workers.fixed_point import parse_precision
    from hls_workers.network_cost import pretrain_estimate
    from hls_workers.records import DenseRecord, LayerQuant, NetworkRecord

    net = NetworkRecord(layers=(DenseRecord("fc1", 16, 8, LayerQuant(6, 0, 8, 0)),))
    versal = pretrain_estimate(net, parse_precision("ap_fixed<12,4>"), part="xcvc1902")
    assert any("not calibrated for versal" in note for note in versal.notes)
    plus = pretrain_estimate(net, parse_precision("ap_fixed<12,4>"), part="xcu250")
    assert not any("not calibrated" in note for note in plus.notes)


def test_percent_of_device():
    est = ResourceEstimate.from_values("x", lut=5320, dsp=22, ff=None, bram_18k=0)
    pct = percent_of_device(est, "xc7z020")
    assert pct["lut"] == pytest.approx(10.0) and pct["dsp"] == pytest.approx(10.0)
    assert pct["ff"] is None and pct["bram_18k"] == 0
    assert percent_of_device({"lut": 17280}, "xcvu13p")["lut"] == pytest.approx(1.0)


# ---------------------------------------------------------------- the CLI


def test_sweep_parts_family_table(capsys):
    from sweep.cli import main

    assert main(["parts", "--family", "artix7"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in known_parts("artix7")) and "xc7k325t-ffg900-2" not in out
    assert "32,600" in out and "DS180" in out


def test_sweep_parts_json_lists_every_part(capsys):
    from sweep.cli import main

    assert main(["parts", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [p.name for p in parts_of()]
    versal = next(r for r in rows if r["family"] == "versal")
    assert versal["coefficients"] == "ultrascale_plus" and versal["source_title"].startswith("AMD DS950")


@pytest.mark.parametrize("argv, needles", [
    (["parts", "--family", "artix9"], ["unknown part family 'artix9'", "artix7"]),
    (["estimate", "{model}", "--part", "xc7a50tt"], ["unknown FPGA part 'xc7a50tt'", "did you mean xc7a50t-csg324-1"]),
    (["estimate", "{model}", "--part", "xczu"], ["ambiguous", "xczu3eg-sbva484-1-e"]),
])
def test_cli_errors_are_one_line(capsys, tmp_path, argv, needles):
    from sweep.cli import main

    model = tmp_path / "m.h5"
    model.write_text("not a model: the part is refused before the model is read")
    assert main([a.format(model=model) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert all(needle in err for needle in needles), err
    assert len(_named(err)) <= MAX_SUGGESTIONS


def test_sweep_parts_in_a_fresh_process():
    done = subprocess.run([sys.executable, "-m", "sweep.cli", "parts", "--family", "artix7"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "xc7a50t-csg324-1" in done.stdout
    assert f"{len(known_parts('artix7'))} FPGA parts of family artix7" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "sweep.cli", "parts", "--family", "nope"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ")
