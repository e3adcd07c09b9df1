"""Pythia settings per jet class and per-chunk random seeds."""

from __future__ import annotations

import hashlib

from sweep.data.schema import CLASS_NAMES

#: Largest seed Pythia accepts (``Random:seed`` must be in 1..900000000).
MAX_PYTHIA_SEED = 900_000_000

#: Hard-process pT window. Leading R=0.8 jets (with ISR, MPI and hadronisation) come out a little above
#: the parton pT: 850-1250 GeV fills the 800-1200 GeV jet window evenly and wastes fewest events.
PTHAT_MIN = 850.0
PTHAT_MAX = 1250.0

#: Decay modes that keep W and Z decays hadronic (u, d, s, c, b quarks only).
_HADRONIC_W = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")
_HADRONIC_Z = ("23:onMode = off", "23:onIfAny = 1 2 3 4 5")

#: Processes (and forced decays) that give each class its leading jet.
PROCESS_SETTINGS: dict[str, tuple[str, ...]] = {
    "g": ("HardQCD:gg2gg = on", "HardQCD:qg2qg = on", "HardQCD:qqbar2gg = on"),
    "q": ("HardQCD:qg2qg = on", "HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on",
          "HardQCD:gg2qqbar = on"),
    "w": ("WeakDoubleBoson:ffbar2WW = on", *_HADRONIC_W),
    "z": ("WeakDoubleBoson:ffbar2gmZgmZ = on", "WeakZ0:gmZmode = 2", *_HADRONIC_Z),
    "t": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_HADRONIC_W),
}

#: PDG ids a leading jet may be matched to, per class (absolute values).
MATCH_IDS: dict[str, frozenset[int]] = {
    "g": frozenset({21}),
    "q": frozenset({1, 2, 3}),
    "w": frozenset({24}),
    "z": frozenset({23}),
    "t": frozenset({6}),
}


def base_settings(mpi: bool) -> tuple[str, ...]:
    """Settings shared by every class: 13 TeV pp, quiet output, MPI on or off."""
    return (
        "Beams:idA = 2212", "Beams:idB = 2212", "Beams:eCM = 13000.",
        f"PhaseSpace:pTHatMin = {PTHAT_MIN}", f"PhaseSpace:pTHatMax = {PTHAT_MAX}",
        f"PartonLevel:MPI = {'on' if mpi else 'off'}",
        "Print:quiet = on", "Next:numberCount = 0", "Next:numberShowEvent = 0",
        "Next:numberShowProcess = 0", "Next:numberShowInfo = 0",
    )


def pythia_settings(jet_class: str, seed: int, mpi: bool) -> list[str]:
    """All ``readString`` lines for one chunk of ``jet_class`` jets."""
    return [*base_settings(mpi), *PROCESS_SETTINGS[jet_class],
            "Random:setSeed = on", f"Random:seed = {seed}"]


def chunk_seed(seed: int, class_index: int, chunk_index: int) -> int:
    """Pythia seed of one chunk, a pure function of (seed, class index, chunk index)."""
    digest = hashlib.sha256(f"hls-sweep:{seed}:{class_index}:{chunk_index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % MAX_PYTHIA_SEED + 1


def class_index(jet_class: str) -> int:
    """Position of a class in the label columns (and in seed derivation)."""
    return CLASS_NAMES.index(jet_class)
