"""The generated jets carry the physics a tagger learns: the project's own MLP beats chance clearly."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from hls_workers.records import LayerQuant
from sweep.config import parse_config
from sweep.data.prepare import prepare_data
from sweep.design import Design
from sweep.models import get_family
from sweep.training import set_seed, train


def test_hlf_mlp_is_well_above_chance(quickstart_dir: Path) -> None:
    cfg = parse_config({
        "name": "classifier",
        "data": {"source": str(quickstart_dir)},
        "model": {"family": "mlp"},
        "training": {"epochs": 30, "batch_size": 128, "learning_rate": 0.003, "patience": 5},
    }, "test")
    data = prepare_data(cfg.data)
    assert data.input_shape == (16,) and data.n_outputs == 5
    quant = LayerQuant(16, 6, 16, 6)
    design = Design("mlp", {"hidden": [32, 32]}, {name: quant for name in ("dense_0", "dense_1", "output")},
                    quantization="ptq")
    set_seed(3)
    model = get_family("mlp").build(design, data.input_shape, data.n_outputs, data.task)
    outcome = train(model, data, design, cfg.training, seed=3, deadline=time.monotonic() + 600)
    predicted = outcome.model.predict(data.x_test, verbose=0).argmax(axis=1)
    accuracy = float((predicted == data.y_test.argmax(axis=1)).mean())
    print(f"HLF MLP five-class accuracy {accuracy:.3f} on {len(data.x_test)} test jets")
    assert len(data.x_test) >= 500
    assert accuracy > 0.5, f"five-class accuracy {accuracy:.3f} on {len(data.x_test)} generated jets"
    # Boson and top jets are the easiest to tell from QCD jets: their per-class recall beats chance most.
    truth = data.y_test.argmax(axis=1)
    recall = {name: float((predicted[truth == i] == i).mean()) for i, name in enumerate(data.target_names)}
    assert np.mean([recall["w"], recall["z"], recall["t"]]) > 0.4, recall
