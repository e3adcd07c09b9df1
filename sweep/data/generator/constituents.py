"""The 16 per-constituent features of the 150p files and the jet kinematics they are relative to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sweep.data.schema import MAX_CONSTITUENTS, PARTICLE_FEATURES


@dataclass(frozen=True)
class JetKinematics:
    """Four-momentum sum of a jet's constituents (E-scheme) and derived quantities."""

    px: float
    py: float
    pz: float
    e: float
    pt: float
    eta: float
    phi: float
    mass: float


def wrap_phi(phi: np.ndarray) -> np.ndarray:
    """Angles wrapped to [-π, π)."""
    return (phi + np.pi) % (2 * np.pi) - np.pi


def jet_kinematics(p4: np.ndarray) -> JetKinematics:
    """Kinematics of the sum of constituent four-momenta ``p4`` (n, 4) = (px, py, pz, E)."""
    px, py, pz, e = (float(v) for v in p4.sum(axis=0))
    pt = float(np.hypot(px, py))
    return JetKinematics(px, py, pz, e, pt, float(np.arcsinh(pz / pt)), float(np.arctan2(py, px)),
                         float(np.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))))


def principal_rotation(weights: np.ndarray, deta: np.ndarray,
                       dphi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(etarot, phirot): (Δη, Δφ) rotated so the weighted major principal axis lies along η.

    The rotation angle comes from the pT-weighted second moments; it is then turned by π if
    needed so that the pT-weighted third moment along the major axis is ≥ 0 (a proper rotation,
    the harder side of the jet at positive etarot).
    """
    w = weights / weights.sum()
    cee = np.sum(w * deta * deta)
    cpp = np.sum(w * dphi * dphi)
    cep = np.sum(w * deta * dphi)
    angle = 0.5 * np.arctan2(2.0 * cep, cee - cpp)
    c, s = np.cos(angle), np.sin(angle)
    etarot = c * deta + s * dphi
    phirot = -s * deta + c * dphi
    if np.sum(w * etarot**3) < 0:
        etarot, phirot = -etarot, -phirot
    return etarot, phirot


def constituent_features(p4: np.ndarray, jet: JetKinematics,
                         max_constituents: int = MAX_CONSTITUENTS) -> np.ndarray:
    """(max_constituents, 16) float32 features in PARTICLE_FEATURES order, pT-sorted, zero padded.

    ``p4`` must already be sorted by pT descending; only the hardest ``max_constituents`` are kept,
    but the rotation uses all constituents.
    """
    px, py, pz, e = p4.T
    pt = np.hypot(px, py)
    eta = np.arcsinh(pz / pt)
    phi = np.arctan2(py, px)
    deta = eta - jet.eta
    dphi = wrap_phi(phi - jet.phi)
    etarot, phirot = principal_rotation(pt, deta, dphi)
    pabs = np.sqrt(px * px + py * py + pz * pz)
    jet_p = np.sqrt(jet.px**2 + jet.py**2 + jet.pz**2)
    cos_rel = (px * jet.px + py * jet.py + pz * jet.pz) / (pabs * jet_p)
    columns = {
        "j1_px": px, "j1_py": py, "j1_pz": pz, "j1_e": e, "j1_erel": e / jet.e,
        "j1_pt": pt, "j1_ptrel": pt / jet.pt, "j1_eta": eta, "j1_etarel": deta,
        "j1_etarot": etarot, "j1_phi": phi, "j1_phirel": dphi, "j1_phirot": phirot,
        "j1_deltaR": np.hypot(deta, dphi), "j1_costheta": pz / pabs,
        "j1_costhetarel": np.clip(cos_rel, -1.0, 1.0),
    }
    n = min(len(p4), max_constituents)
    out = np.zeros((max_constituents, len(PARTICLE_FEATURES)), dtype=np.float32)
    out[:n] = np.stack([columns[name][:n] for name in PARTICLE_FEATURES], axis=1)
    return out
