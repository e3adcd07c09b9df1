"""One chunk: generate the jets of one class and turn them into 150p arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sweep.data.generator.constituents import constituent_features, jet_kinematics
from sweep.data.generator.events import generate_raw_jets, silenced_stdout
from sweep.data.generator.processes import class_index
from sweep.data.generator.substructure import substructure_columns
from sweep.data.generator.writer import chunk_filename, write_chunk
from sweep.data.schema import JET_FEATURES, LABEL_COLUMNS, MAX_CONSTITUENTS

#: Jet columns filled by the generator besides the substructure ones.
KINEMATIC_COLUMNS = ("j_ptfrac", "j_pt", "j_eta", "j_mass", "j_zlogz", "j_multiplicity")

_fastjet_banner_shown = False


@dataclass(frozen=True)
class ChunkTask:
    """One chunk file: ``n_jets`` jets of ``jet_class`` from a Pythia run seeded ``pythia_seed``."""

    jet_class: str
    index: int
    n_jets: int
    pythia_seed: int
    mpi: bool

    @property
    def filename(self) -> str:
        return chunk_filename(self.jet_class, self.index)


def _zlogz(p4: np.ndarray) -> float:
    """Σ z log z with z = pT_i / Σ pT."""
    pt = np.hypot(p4[:, 0], p4[:, 1])
    z = pt / pt.sum()
    return float(np.sum(z * np.log(z)))


def build_chunk(task: ChunkTask, on_jet: Callable[[], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(constituents (n, 150, 16), jets (n, 59)) float32 arrays for one chunk."""
    global _fastjet_banner_shown
    raw, _ = generate_raw_jets(task.jet_class, task.n_jets, task.pythia_seed, task.mpi, on_jet)
    kins = [jet_kinematics(j.p4) for j in raw]
    constituents = np.stack([constituent_features(j.p4, k, MAX_CONSTITUENTS) for j, k in zip(raw, kins)])
    if not _fastjet_banner_shown:  # FastJet prints a banner on its first clustering in a process
        with silenced_stdout():
            sub = substructure_columns([j.p4 for j in raw])
        _fastjet_banner_shown = True
    else:
        sub = substructure_columns([j.p4 for j in raw])
    cols: dict[str, np.ndarray] = {
        "j_ptfrac": np.array([k.pt / j.parton_pt for j, k in zip(raw, kins)]),
        "j_pt": np.array([k.pt for k in kins]),
        "j_eta": np.array([k.eta for k in kins]),
        "j_mass": np.array([k.mass for k in kins]),
        "j_zlogz": np.array([_zlogz(j.p4) for j in raw]),
        "j_multiplicity": np.array([len(j.p4) for j in raw], dtype=np.float64),
        **sub,
    }
    jets = np.zeros((len(raw), len(JET_FEATURES)), dtype=np.float32)
    for name, values in cols.items():
        jets[:, JET_FEATURES.index(name)] = values
    jets[:, JET_FEATURES.index(LABEL_COLUMNS[class_index(task.jet_class)])] = 1.0
    return constituents, jets


def run_chunk(out_dir: Path, task: ChunkTask, on_jet: Callable[[], None] | None = None) -> int:
    """Build one chunk and write it atomically into ``out_dir``; returns the number of jets."""
    constituents, jets = build_chunk(task, on_jet)
    write_chunk(out_dir / task.filename, constituents, jets)
    return len(jets)
