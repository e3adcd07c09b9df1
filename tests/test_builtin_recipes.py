"""Built-in data recipes and the studies that use them. Fast: nothing here generates jets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweep.cli import main
from sweep.config import load_config
from sweep.data.builtin import BUILTIN_DATASETS
from sweep.data.generator.run import plan_chunks
from sweep.data.schema import CLASS_NAMES

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies"


def test_jets50k_recipe_has_the_documented_size_and_seed() -> None:
    recipe = BUILTIN_DATASETS["jets50k"]
    assert (recipe.jets_per_class, recipe.seed, recipe.chunk_size) == (10_000, 20261130, 500)
    assert recipe.folder_name == "jets50k-n10000-s20261130"
    assert recipe.command == ("sweep data generate --out <cache>/jets50k-n10000-s20261130 "
                              "--jets-per-class 10000 --seed 20261130 --chunk-size 500")
    tasks = plan_chunks(recipe.jets_per_class, recipe.chunk_size, CLASS_NAMES, recipe.seed, mpi=True)
    assert len(tasks) == 100 and sum(t.n_jets for t in tasks) == 50_000
    doc = (ROOT / "docs" / "reference_designs.md").read_text()
    assert "builtin:jets50k" in doc and "--jets-per-class 10000 --seed 20261130 --chunk-size 500" in doc


def test_quickstart_recipe_is_unchanged() -> None:
    recipe = BUILTIN_DATASETS["quickstart"]
    assert (recipe.jets_per_class, recipe.seed, recipe.chunk_size) == (800, 20261124, 200)
    assert load_config(STUDIES / "quickstart.yaml").data.source == "builtin:quickstart"


@pytest.mark.parametrize("study", ["deepsets_jets", "mlp_jets"])
def test_reference_studies_validate_and_use_jets50k(study: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HLS_SWEEP_CACHE", str(tmp_path / "cache"))
    path = STUDIES / f"{study}.yaml"
    assert main(["validate", str(path)]) == 0
    cfg = load_config(path)
    assert cfg.data.source == "builtin:jets50k"
    assert cfg.data.source.removeprefix("builtin:") in BUILTIN_DATASETS
    assert cfg.enqueue, "the reference designs are enqueued"
    assert not (tmp_path / "cache").exists(), "validate must not generate the data set"
