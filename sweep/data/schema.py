"""The hls4ml LHC jet data schema (Zenodo ``hls4ml_LHCjet_150p`` and the older HLF file).

One place for every name and column index, shared by the loaders, the generator and the tests.
"""

from __future__ import annotations

#: Classes of the public data set, in label-column order.
CLASS_NAMES: tuple[str, ...] = ("g", "q", "w", "z", "t")
LABEL_COLUMNS: tuple[str, ...] = tuple(f"j_{c}" for c in CLASS_NAMES)

#: Maximum number of constituents stored per jet in the 150p files.
MAX_CONSTITUENTS = 150

#: HDF5 dataset names of the 150p files.
CONSTITUENTS_KEY = "jetConstituentList"
JETS_KEY = "jets"
JET_FEATURE_NAMES_KEY = "jetFeatureNames"
PARTICLE_FEATURE_NAMES_KEY = "particleFeatureNames"
#: HDF5 dataset name of the HLF file (a structured array with named fields).
HLF_KEY = "t_allpar_new"

#: The 16 constituent features, in file column order (sorted by pT, zero padded).
PARTICLE_FEATURES: tuple[str, ...] = (
    "j1_px", "j1_py", "j1_pz", "j1_e", "j1_erel", "j1_pt", "j1_ptrel", "j1_eta",
    "j1_etarel", "j1_etarot", "j1_phi", "j1_phirel", "j1_phirot", "j1_deltaR",
    "j1_costheta", "j1_costhetarel",
)
#: Short aliases accepted wherever a constituent feature is named.
PARTICLE_FEATURE_ALIASES: dict[str, str] = {
    name.removeprefix("j1_"): name for name in PARTICLE_FEATURES
}
#: Feature sets by name: (pT, eta_rel, phi_rel) are columns 5, 8, 11.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "ptetaphi": ("j1_pt", "j1_etarel", "j1_phirel"),
    "all": PARTICLE_FEATURES,
}

#: The 59 jet-level columns of the 150p files; labels j_g..j_t are columns 53..57.
JET_FEATURES: tuple[str, ...] = (
    "j_ptfrac", "j_pt", "j_eta", "j_mass",
    "j_tau1_b1", "j_tau2_b1", "j_tau3_b1", "j_tau1_b2", "j_tau2_b2", "j_tau3_b2",
    "j_tau32_b1", "j_tau32_b2", "j_zlogz",
    "j_c1_b0", "j_c1_b1", "j_c1_b2", "j_c2_b1", "j_c2_b2", "j_d2_b1", "j_d2_b2",
    "j_d2_a1_b1", "j_d2_a1_b2", "j_m2_b1", "j_m2_b2", "j_n2_b1", "j_n2_b2",
    "j_tau1_b1_mmdt", "j_tau2_b1_mmdt", "j_tau3_b1_mmdt",
    "j_tau1_b2_mmdt", "j_tau2_b2_mmdt", "j_tau3_b2_mmdt",
    "j_tau32_b1_mmdt", "j_tau32_b2_mmdt",
    "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt", "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt",
    "j_mass_trim", "j_mass_mmdt", "j_mass_prun", "j_mass_sdb2", "j_mass_sdm1",
    "j_multiplicity",
    *LABEL_COLUMNS,
    "j_undef",
)
LABEL_SLICE = slice(53, 58)
assert len(JET_FEATURES) == 59 and JET_FEATURES[LABEL_SLICE] == LABEL_COLUMNS

#: The 16 high-level inputs of the hls4ml jet-tagging MLP (HLF file and tutorial).
HLF_INPUTS: tuple[str, ...] = (
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt",
    "j_c2_b2_mmdt", "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt", "j_n2_b1_mmdt",
    "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity",
)
