"""The cheapest real study file (a tiny DeepSets, 1 epoch, a few emulated jets) for tests of many processes."""

from __future__ import annotations

from pathlib import Path

import yaml


def tiny_study(folder: Path, storage: str, data_dir: Path, n_trials: int, name: str = "fleet",
               epochs: int = 1) -> Path:
    """Write ``<folder>/<name>.yaml``; heartbeat 1 s and grace period 4 s, so dead workers show quickly."""
    doc = {
        "name": name, "storage": storage, "seed": 3,
        "data": {"source": str(data_dir), "n_constituents": 8},
        "space": {"phi_layers": 1, "phi_width": [4, 8], "rho_layers": 1, "rho_width": [4, 8],
                  "aggregation": ["mean", "max"], "weight_bits": [4, 6, 8], "act_bits": 8, "act_int_bits": [2, 3]},
        "training": {"epochs": epochs, "batch_size": 512},
        "hls4ml": {"max_emulation_samples": 40, "cross_check_every": 0},
        "objectives": ["emulated_accuracy", "bops"],
        "sampler": {"name": "random", "seed": 3},
        "workers": {"heartbeat_interval_s": 1, "grace_period_s": 4, "max_retry": 2},
        "n_trials": n_trials,
        "artifacts_dir": str(folder / "projects"),
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path
