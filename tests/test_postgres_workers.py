"""Several `sweep run` workers on one PostgreSQL study: every trial lands once, designs are not duplicated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml

from postgres_server import postgres_bin, server_user_missing, throwaway_postgres

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server binaries are not installed"),
    pytest.mark.skipif(server_user_missing(), reason="running as root without a 'postgres' user to start the server"),
]


def test_two_workers_share_one_study(tmp_path: Path, quickstart_dir: Path) -> None:
    with throwaway_postgres() as url:
        study = {
            "name": "shared", "storage": url, "seed": 1,
            "data": {"source": str(quickstart_dir), "n_constituents": 8},
            "space": {"phi_layers": [1, 2], "phi_width": [4, 8, 16, 32], "rho_width": [4, 8, 16],
                      "aggregation": ["mean", "max"], "weight_bits": [4, 5, 6, 7, 8], "act_bits": [6, 7, 8],
                      "act_int_bits": [1, 2, 3], "sparsity": [0.0, 0.25, 0.5]},
            "training": {"epochs": 1, "batch_size": 512},
            "hls4ml": {"max_emulation_samples": 200},
            "objectives": ["emulated_accuracy", "accuracy_gap", "bops"],
            "sampler": {"name": "random", "seed": 1},
            "n_trials": 3,
            "artifacts_dir": str(tmp_path / "projects"),
        }
        path = tmp_path / "study.yaml"
        path.write_text(yaml.safe_dump(study))
        sweep = [sys.executable, "-m", "sweep.cli", "run", str(path)]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        workers = [subprocess.Popen(sweep, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        for worker in workers:
            _, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, err[-2000:]

        loaded = optuna.load_study(study_name="shared", storage=url.replace("postgresql://", "postgresql+psycopg://"))
        trials = loaded.trials
        assert len(trials) == 6
        assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials), [t.user_attrs for t in trials]
        seeds = {t.user_attrs["sampler_seed"] for t in trials}
        assert len(seeds) == 2 and 1 in seeds  # the creator keeps the file's seed, the joiner gets its own
        designs = [tuple(sorted(t.params.items())) for t in trials]
        assert len(set(designs)) == len(designs)
