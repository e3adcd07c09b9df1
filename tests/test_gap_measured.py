"""The Keras-to-HLS gap is measured, not assumed: starved fixed point shows a large gap, a sane one none."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hls_workers.records import LayerQuant
from sweep.config import parse_config
from sweep.data.prepare import prepare_data
from sweep.design import Design
from sweep.pipeline import run_design


def run_ptq(tmp_path: Path, data_dir: Path, bits: LayerQuant, input_precision: str, name: str):
    cfg = parse_config({
        "name": name,
        "data": {"source": str(data_dir), "n_constituents": 16},
        "training": {"epochs": 12, "batch_size": 128},
        "hls4ml": {"input_precision": input_precision},
    }, "test")
    data = prepare_data(cfg.data)
    design = Design(
        family="deepsets",
        architecture={"n_constituents": None, "phi": [16, 16], "rho": [16], "aggregation": "mean"},
        layer_quant={layer: bits for layer in ("phi_0", "phi_1", "rho_0", "output")},
        quantization="ptq",
    )
    return run_design(design, data, cfg, seed=11, trial_dir=tmp_path / name, deadline=time.monotonic() + 600)


@pytest.fixture(scope="module")
def starved_and_sane(tmp_path_factory, quickstart_dir):
    tmp = tmp_path_factory.mktemp("gap")
    # Same seed and float training: the two Keras models are the same; only the fixed point differs.
    starved = run_ptq(tmp, quickstart_dir, LayerQuant(8, 0, 8, 0), "ap_fixed<8,1>", "starved")
    sane = run_ptq(tmp, quickstart_dir, LayerQuant(16, 5, 16, 6), "ap_fixed<16,6>", "sane")
    return starved, sane


def test_starved_precision_gives_a_large_gap(starved_and_sane) -> None:
    starved, sane = starved_and_sane
    assert starved.metrics["keras_accuracy"] == pytest.approx(sane.metrics["keras_accuracy"])
    assert starved.metrics["accuracy_gap"] > 0.05
    assert starved.metrics["agreement"] < 0.9


def test_sane_precision_matches_keras(starved_and_sane) -> None:
    _, sane = starved_and_sane
    assert sane.metrics["accuracy_gap"] < 0.01
    assert sane.metrics["agreement"] > 0.99
    assert sane.metrics["keras_accuracy"] > 0.3
