"""Built-in data sets made by the offline generator on first use and cached.

``builtin:quickstart`` is a few thousand Pythia jets: enough for the quickstart study and the physics
sanity tests, made in about a minute on 2 cores instead of shipping data in the repository.
``builtin:jets50k`` is 10,000 jets per class (50,000 in all) for the reference studies
(``studies/deepsets_jets.yaml``, ``studies/mlp_jets.yaml``): made once (1,700 CPU-seconds, about 15-30
minutes on 2 cores; docs/reference_designs.md), 195 MB, cached. Each jet keeps its leading 150 constituents.
``builtin:pions`` is 25,000 π⁰ and 25,000 π± calorimeter clusters from the parametrised calorimeter
simulation (sweep.data.calo_generator, docs/calo_generator.md): one ``.npz`` file (16 MB), about 10 s to make.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sweep.errors import UserError


@dataclass(frozen=True)
class BuiltinDataset:
    """A generator recipe: the same recipe always gives the same jets."""

    name: str
    jets_per_class: int
    seed: int
    chunk_size: int

    @property
    def command(self) -> str:
        return (f"sweep data generate --out <cache>/{self.folder_name} "
                f"--jets-per-class {self.jets_per_class} --seed {self.seed} --chunk-size {self.chunk_size}")

    @property
    def folder_name(self) -> str:
        return f"{self.name}-n{self.jets_per_class}-s{self.seed}"

    def generate(self, out: Path, workers: int, progress: bool) -> Path:
        """Make (or finish) the jets in ``out``; returns at once when every chunk is there."""
        from sweep.data.generator import generate_dataset  # heavy imports only when needed

        generate_dataset(out, jets_per_class=self.jets_per_class, seed=self.seed, workers=workers,
                         chunk_size=self.chunk_size, progress=progress)
        return out


@dataclass(frozen=True)
class PionClusterRecipe:
    """A calorimeter-cluster recipe (π⁰ vs π±): the same recipe always gives the same file."""

    name: str
    clusters_per_class: int
    seed: int

    @property
    def command(self) -> str:
        return (f"sweep data generate-pions --out <cache>/{self.folder_name} "
                f"--clusters-per-class {self.clusters_per_class} --seed {self.seed}")

    @property
    def folder_name(self) -> str:
        """The file's name under ``<cache>/datasets`` (one file, not a folder)."""
        return f"{self.name}-n{self.clusters_per_class}-s{self.seed}.npz"

    def generate(self, out: Path, workers: int, progress: bool) -> Path:
        """Make the cluster file ``out`` unless it is already there."""
        from sweep.data.calo_generator import generate_pion_clusters

        return generate_pion_clusters(out, clusters_per_class=self.clusters_per_class, seed=self.seed,
                                      workers=workers, progress=progress)


BUILTIN_DATASETS: dict[str, BuiltinDataset | PionClusterRecipe] = {
    "quickstart": BuiltinDataset("quickstart", jets_per_class=800, seed=20261124, chunk_size=200),
    "jets50k": BuiltinDataset("jets50k", jets_per_class=10_000, seed=20261130, chunk_size=500),
    "pions": PionClusterRecipe("pions", clusters_per_class=25_000, seed=20261201),
}


def cache_root() -> Path:
    """Where hls-sweep caches data sets and prepared arrays (``$HLS_SWEEP_CACHE`` or ~/.cache/hls-sweep)."""
    root = os.environ.get("HLS_SWEEP_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "hls-sweep"


def resolve_builtin(name: str, workers: int | None = None, progress: bool = True) -> Path:
    """Path of a built-in data set, generating it first if it is not cached yet."""
    if name not in BUILTIN_DATASETS:
        raise UserError(f"builtin:{name}: unknown built-in data set; known: {', '.join(BUILTIN_DATASETS)}")
    recipe = BUILTIN_DATASETS[name]
    out = cache_root() / "datasets" / recipe.folder_name
    # returns at once when the data set is already complete
    return recipe.generate(out, workers=workers or min(2, os.cpu_count() or 1), progress=progress)


def resolve_source(source: str, progress: bool = True) -> Path:
    """Turn a study's ``data.source`` into a path (``builtin:NAME`` or a file/folder path)."""
    if source.startswith("builtin:"):
        return resolve_builtin(source.removeprefix("builtin:"), progress=progress)
    return Path(source).expanduser()
