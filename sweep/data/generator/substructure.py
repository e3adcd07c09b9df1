"""Jet substructure columns, computed for a whole chunk of jets at once.

Energy correlators (fastjet-contrib EnergyCorrelator, pT-R measure, normalised) and N-subjettiness
(exclusive-kT axes, normalised measure, R0 = 0.8) run in C++ through FastJet's awkward interface on
the C/A-reclustered jet; mMDT and soft drop through the same interface; trimming and pruning through
FastJet's own Filter and Pruner, one jet at a time.
"""

from __future__ import annotations

import numpy as np

#: Soft-drop settings (R0 = jet radius): zcut per angular exponent beta (beta = 0 is mMDT).
#: beta = -1 needs a smaller zcut: its condition z > zcut (R0/ΔR) grows at small angles.
SD_R0 = 0.8
SD_ZCUT = {0.0: 0.1, 2.0: 0.1, -1.0: 0.05}
#: Trimming: kT subjets of R = 0.2 keeping those with pT > 3% of the jet pT.
TRIM_R, TRIM_FCUT = 0.2, 0.03
#: Pruning: C/A, zcut = 0.1, Rcut = 0.5 × 2m/pT.
PRUNE_ZCUT, PRUNE_RCUT_FACTOR = 0.1, 0.5
NSUB_R0 = 0.8

#: Columns filled by :func:`substructure_columns` (j_pt, j_eta, j_mass, j_ptfrac, j_multiplicity and
#: labels are filled by the caller).
_SHAPE_COLUMNS = ("tau1_b1", "tau2_b1", "tau3_b1", "tau1_b2", "tau2_b2", "tau3_b2", "tau32_b1",
                  "tau32_b2", "c1_b0", "c1_b1", "c1_b2", "c2_b1", "c2_b2", "d2_b1", "d2_b2",
                  "d2_a1_b1", "d2_a1_b2", "m2_b1", "m2_b2", "n2_b1", "n2_b2")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (jets with too few constituents)."""
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _to_awkward(p4_list: list[np.ndarray]):
    import awkward as ak

    counts = np.array([len(p) for p in p4_list], dtype=np.int64)
    flat = np.concatenate(p4_list).astype(np.float64)
    record = ak.zip({"px": flat[:, 0], "py": flat[:, 1], "pz": flat[:, 2], "E": flat[:, 3]},
                    with_name="Momentum4D")
    return ak.unflatten(record, counts)


def _cluster_ca(p4_list: list[np.ndarray]):
    """C/A cluster sequence of each jet's constituents (R large: one jet per list entry)."""
    import fastjet

    return fastjet.ClusterSequence(_to_awkward(p4_list),
                                   fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0))


def _shape_columns(cs) -> dict[str, np.ndarray]:
    """N-subjettiness and energy-correlation ratios of the single jet in each entry of ``cs``."""

    def ecf(npoint: int, beta: float, angles: int = -1) -> np.ndarray:
        func = "generic" if angles < 0 else "generalized"
        values = cs.exclusive_jets_energy_correlator(njets=1, beta=beta, npoint=npoint, angles=angles,
                                                     func=func, normalized=True)
        return np.asarray(values, dtype=np.float64).reshape(-1)

    cols: dict[str, np.ndarray] = {}
    for beta in (1, 2):
        taus = np.asarray(cs.njettiness(measure_definition="NormalizedMeasure", axes_definition="KT_Axes",
                                        njets=[1, 2, 3], beta=float(beta), R0=NSUB_R0), dtype=np.float64)
        for n in (1, 2, 3):
            cols[f"tau{n}_b{beta}"] = taus[:, n - 1]
        cols[f"tau32_b{beta}"] = _ratio(taus[:, 2], taus[:, 1])
    e2 = {beta: ecf(2, float(beta)) for beta in (0, 1, 2)}
    e3 = {beta: ecf(3, float(beta)) for beta in (1, 2)}
    for beta in (0, 1, 2):
        cols[f"c1_b{beta}"] = e2[beta]
    for beta in (1, 2):
        e13 = ecf(3, float(beta), angles=1)
        e23 = ecf(3, float(beta), angles=2)
        cols[f"c2_b{beta}"] = _ratio(e3[beta], e2[beta] ** 2)
        cols[f"d2_b{beta}"] = _ratio(e3[beta], e2[beta] ** 3)
        cols[f"d2_a1_b{beta}"] = _ratio(e3[1], e2[beta] ** (3.0 / beta))
        cols[f"m2_b{beta}"] = _ratio(e13, e2[beta])
        cols[f"n2_b{beta}"] = _ratio(e23, e2[beta] ** 2)
    return cols


def _softdrop(cs, beta: float):
    return cs.exclusive_jets_softdrop_grooming(njets=1, beta=beta, symmetry_cut=SD_ZCUT[beta], R0=SD_R0)


def _trim_and_prune_masses(p4_list: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Trimmed and pruned masses with FastJet's Filter and Pruner."""
    import fastjet

    ca = fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0)
    trimmer = fastjet.Filter(fastjet.JetDefinition(fastjet.kt_algorithm, TRIM_R),
                             fastjet.SelectorPtFractionMin(TRIM_FCUT))
    pruner = fastjet.Pruner(fastjet.cambridge_algorithm, PRUNE_ZCUT, PRUNE_RCUT_FACTOR)
    trim = np.zeros(len(p4_list))
    prun = np.zeros(len(p4_list))
    for i, p4 in enumerate(p4_list):
        particles = [fastjet.PseudoJet(*map(float, row)) for row in p4]
        seq = fastjet.ClusterSequence(particles, ca)
        jet = seq.exclusive_jets(1)[0]
        trim[i] = trimmer(jet).m()
        prun[i] = pruner(jet).m()
    return trim, prun


def substructure_columns(p4_list: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Substructure columns by jet-feature name (without the ``j_`` prefix) for each jet.

    ``p4_list`` holds each jet's constituents as (n, 4) arrays of (px, py, pz, E).
    """
    import awkward as ak

    cs = _cluster_ca(p4_list)
    cols = {f"j_{k}": v for k, v in _shape_columns(cs).items()}
    mmdt = _softdrop(cs, 0.0)
    cols["j_mass_mmdt"] = np.asarray(mmdt.msoftdrop, dtype=np.float64)
    groomed = [np.stack([ak.to_numpy(c[f]) for f in ("px", "py", "pz", "E")], axis=1)
               for c in mmdt.constituents]
    cols.update({f"j_{k}_mmdt": v for k, v in _shape_columns(_cluster_ca(groomed)).items()})
    cols["j_mass_sdb2"] = np.asarray(_softdrop(cs, 2.0).msoftdrop, dtype=np.float64)
    cols["j_mass_sdm1"] = np.asarray(_softdrop(cs, -1.0).msoftdrop, dtype=np.float64)
    cols["j_mass_trim"], cols["j_mass_prun"] = _trim_and_prune_masses(p4_list)
    return cols


#: Every jet column this module fills.
SUBSTRUCTURE_COLUMNS: tuple[str, ...] = (
    *(f"j_{c}" for c in _SHAPE_COLUMNS), *(f"j_{c}_mmdt" for c in _SHAPE_COLUMNS),
    "j_mass_mmdt", "j_mass_sdb2", "j_mass_sdm1", "j_mass_trim", "j_mass_prun",
)
