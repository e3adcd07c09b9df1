"""Run Pythia, cluster anti-kT R=0.8 jets and keep the truth-matched leading jet."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from sweep.data.generator.processes import MATCH_IDS, pythia_settings

JET_R = 0.8
PT_MIN, PT_MAX = 800.0, 1200.0
ETA_MAX = 2.0
MATCH_R = 0.8
#: Give up on a chunk after this many events per requested jet (a broken setting, not bad luck).
MAX_EVENTS_PER_JET = 50


@dataclass(frozen=True)
class RawJet:
    """A selected jet: constituent four-momenta (px, py, pz, E) sorted by pT, and its parton's pT."""

    p4: np.ndarray
    parton_pt: float


@contextlib.contextmanager
def silenced_stdout() -> Iterator[None]:
    """Send C++ writes to fd 1 (Pythia and FastJet banners) to /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _eta_phi(px: float, py: float, pz: float) -> tuple[float, float]:
    pt = math.hypot(px, py)
    return math.asinh(pz / pt), math.atan2(py, px)


def _delta_r(eta1: float, phi1: float, eta2: float, phi2: float) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


class JetSource:
    """One Pythia instance making leading jets of one class; jets come out in a fixed order per seed."""

    def __init__(self, jet_class: str, seed: int, mpi: bool = True) -> None:
        import pythia8mc

        self.jet_class = jet_class
        self.settings = pythia_settings(jet_class, seed, mpi)
        with silenced_stdout():
            self._pythia = pythia8mc.Pythia("", False)
            for line in self.settings:
                if not self._pythia.readString(line):
                    raise RuntimeError(f"Pythia rejected setting {line!r}")
            if not self._pythia.init():
                raise RuntimeError(f"Pythia failed to initialise for class {jet_class!r}")
            # power -1 = anti-kT; select 2 = visible final-state particles (no neutrinos);
            # massSet 2 = true masses; fjcore does the clustering.
            self._slowjet = pythia8mc.SlowJet(-1, JET_R, 0.5 * PT_MIN, 25.0, 2, 2, None, True, True)
            self._first = True
        self.events_tried = 0

    def next_jet(self) -> RawJet | None:
        """Generate one event; return its leading jet if it passes the selection, else None."""
        self.events_tried += 1
        pythia = self._pythia
        if not pythia.next():
            return None
        if self._first:  # fjcore prints its banner on first use
            with silenced_stdout():
                self._slowjet.analyze(pythia.event)
            self._first = False
        else:
            self._slowjet.analyze(pythia.event)
        sj = self._slowjet
        if sj.sizeJet() == 0:
            return None
        pt = sj.pT(0)
        if not PT_MIN < pt < PT_MAX:
            return None
        event = pythia.event
        idx = sj.constituents(0)
        p4 = np.array([(event[i].px(), event[i].py(), event[i].pz(), event[i].e()) for i in idx])
        jet = p4.sum(axis=0)
        eta, phi = _eta_phi(jet[0], jet[1], jet[2])
        if abs(eta) >= ETA_MAX:
            return None
        parton_pt = self._match(eta, phi)
        if parton_pt is None:
            return None
        order = np.argsort(-np.hypot(p4[:, 0], p4[:, 1]), kind="stable")
        return RawJet(p4=p4[order], parton_pt=parton_pt)

    def _match(self, eta: float, phi: float) -> float | None:
        """pT of the nearest outgoing hard-process particle within ΔR<0.8, if it has the right id."""
        process = self._pythia.process
        best: tuple[float, int, float] | None = None
        for i in range(process.size()):
            part = process[i]
            if abs(part.status()) not in (22, 23) or part.pT() <= 0:
                continue
            dr = _delta_r(eta, phi, part.eta(), part.phi())
            if dr < MATCH_R and (best is None or dr < best[0]):
                best = (dr, part.idAbs(), part.pT())
        if best is None or best[1] not in MATCH_IDS[self.jet_class]:
            return None
        return best[2]


def generate_raw_jets(jet_class: str, n_jets: int, seed: int, mpi: bool = True,
                      on_jet: Callable[[], None] | None = None) -> tuple[list[RawJet], JetSource]:
    """The first ``n_jets`` selected jets of a Pythia run seeded with ``seed``."""
    source = JetSource(jet_class, seed, mpi)
    jets: list[RawJet] = []
    while len(jets) < n_jets:
        if source.events_tried > MAX_EVENTS_PER_JET * n_jets + 100:
            raise RuntimeError(f"class {jet_class!r}: only {len(jets)} jets in {source.events_tried} events")
        jet = source.next_jet()
        if jet is not None:
            jets.append(jet)
            if on_jet is not None:
                on_jet()
    return jets, source
