"""The ATLAS L0 calorimeter study files (studies/l0_pion_*.yaml): valid, on builtin:pions, the users' space.

Fast: validation only, no data is generated and nothing is trained."""

from __future__ import annotations

from pathlib import Path

import pytest

from hls_workers.parts import lookup_part
from sweep.cli import main
from sweep.config import load_config

STUDIES = Path(__file__).resolve().parents[1] / "studies"
CASES = [("l0_pion_regression.yaml", "regression", ["emulated_resolution_iqr", "mae", "lut", "latency_ns"]),
         ("l0_pion_classification.yaml", "classification",
          ["emulated_accuracy", "accuracy_gap", "lut", "latency_ns"])]


@pytest.mark.parametrize("name, task, objectives", CASES)
def test_l0_study_validates_and_has_the_users_space(name, task, objectives, capsys):
    path = STUDIES / name
    assert main(["validate", str(path)]) == 0
    assert "valid study" in " ".join(capsys.readouterr().out.split())  # rich wraps lines
    cfg = load_config(path)
    assert cfg.data.source == "builtin:pions" and cfg.data.kind == "calo"
    assert cfg.data.task == task
    assert cfg.data.pad_value == -6.0 and cfg.data.n_constituents == 128
    assert sorted(cfg.data.features) == sorted(["eta", "phi", "layer", "energy"])
    assert cfg.model.family == "deepsets"
    assert "sum" in cfg.space["aggregation"].all_values()
    assert set(cfg.space["quantization"].all_values()) == {"qat", "ptq"}
    assert max(cfg.space["n_constituents"].all_values()) == 128
    for bits in ("weight_bits", "act_bits"):
        low, high = cfg.space[bits].values_bound()
        assert 18 <= low and high <= 22
    for integer in ("weight_int_bits", "act_int_bits"):
        low, high = cfg.space[integer].values_bound()
        assert low < high  # a range, not a fixed value
    assert [o.metric for o in cfg.objectives] == objectives
    assert cfg.sampler.name == "nsga2" and cfg.sampler.seed is not None
    assert cfg.hls4ml.max_emulation_samples == 2000


def test_l0_studies_target_the_pynq_z2_and_an_ultrascale_plus_part():
    parts = {name: lookup_part(load_config(STUDIES / name).hls4ml.part) for name, _, _ in CASES}
    assert parts["l0_pion_regression.yaml"].name == "xc7z020clg400-1"
    assert parts["l0_pion_regression.yaml"].architecture == "7series"
    assert parts["l0_pion_classification.yaml"].architecture == "ultrascale_plus"
    assert parts["l0_pion_classification.yaml"].name.startswith("xcvu13p")
