"""Offline single-pion calorimeter clusters: a parametrised simulation of an ATLAS-like barrel (not Geant4).

π⁰ → γγ gives two electromagnetic showers; π± a MIP track up to an exponentially distributed first
interaction, then a hadronic shower with an event-by-event electromagnetic fraction and non-compensation
(e/h > 1). Each shower is a set of energy "spots" drawn from parametrised longitudinal (gamma-distribution)
and lateral (core + tail) profiles, with sampling fluctuations carried by the spot weights; spots are
histogrammed into the cells of seven layers, Gaussian cell noise is added, cells above a noise threshold
kept, and the 128 most energetic written per cluster. Numbers and their sources: docs/calo_generator.md.

File schema (``.npz`` or ``.h5``): ``cells`` float32 (N, 128, 4) = (η, φ, layer index, energy GeV),
sorted by energy descending, zero rows at the end; ``energy`` float32 (N,) true pion energy in GeV;
``label`` int8 (N,) 0 = π⁰, 1 = π±; ``layer_names`` (L,); ``meta`` (a JSON string).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sweep.atomic import write_atomically
from sweep.errors import UserError, check_can_write

GENERATOR_VERSION = 1
MAX_CELLS = 128
CLASS_NAMES: tuple[str, ...] = ("pi0", "pipm")  # label 0, 1
PI0_MASS_GEV = 0.1349768
SUFFIXES = (".npz", ".h5", ".hdf5")


@dataclass(frozen=True)
class Layer:
    """One sampling layer of the barrel, its granularity and where it sits."""

    name: str
    deta: float
    dphi: float
    x0: float         # thickness in radiation lengths (shower-depth coordinate of EM showers)
    lam: float        # thickness in interaction lengths (depth coordinate of hadronic showers)
    radius_cm: float  # radius of the layer centre: turns lateral cm into Δη, Δφ
    noise_mev: float  # Gaussian electronic noise per cell


_PHI64 = 2 * math.pi / 64    # ≈ 0.098: the "0.1" cells
_PHI256 = 2 * math.pi / 256  # ≈ 0.0245
EM_LAMBDA_PER_X0 = 1.5 / 23.3  # assumed: the 23.3 X0 EM section counts as 1.5 λ
TILE_X0_PER_LAMBDA = 9.0       # iron/scintillator 4.7:1 by volume: λ_eff / X0_eff ≈ 9

LAYERS: tuple[Layer, ...] = (
    Layer("PreSamplerB", 0.025, _PHI64, 1.0, 1.0 * EM_LAMBDA_PER_X0, 142.0, 30.0),
    Layer("EMB1", 0.025 / 8, _PHI64, 4.3, 4.3 * EM_LAMBDA_PER_X0, 152.0, 12.0),
    Layer("EMB2", 0.025, _PHI256, 16.0, 16.0 * EM_LAMBDA_PER_X0, 166.0, 25.0),
    Layer("EMB3", 0.05, _PHI256, 2.0, 2.0 * EM_LAMBDA_PER_X0, 190.0, 15.0),
    Layer("TileBar0", 0.1, _PHI64, 1.5 * TILE_X0_PER_LAMBDA, 1.5, 245.0, 20.0),
    Layer("TileBar1", 0.1, _PHI64, 4.1 * TILE_X0_PER_LAMBDA, 4.1, 295.0, 20.0),
    Layer("TileBar2", 0.2, _PHI64, 1.8 * TILE_X0_PER_LAMBDA, 1.8, 360.0, 25.0),
)
LAYER_NAMES: tuple[str, ...] = tuple(l.name for l in LAYERS)
N_EM_LAYERS = 4
BOUNDS_X0 = np.concatenate([[0.0], np.cumsum([l.x0 for l in LAYERS])])
BOUNDS_LAMBDA = np.concatenate([[0.0], np.cumsum([l.lam for l in LAYERS])])
_DETA = np.array([l.deta for l in LAYERS])
_DPHI = np.array([l.dphi for l in LAYERS])
_NPHI = np.array([round(2 * math.pi / l.dphi) for l in LAYERS])
_RADIUS = np.array([l.radius_cm for l in LAYERS])
_NOISE_GEV = np.array([l.noise_mev for l in LAYERS]) * 1e-3


@dataclass(frozen=True)
class Physics:
    """Every parameter of the parametrisation (docs/calo_generator.md gives their sources)."""

    abs_eta_max: float = 0.7
    # electromagnetic showers (Longo / Grindhammer)
    critical_energy_gev: float = 0.010
    em_b: float = 0.5                   # gamma-profile slope per X0
    em_tmax_offset: float = 0.5         # t_max = ln(E/Ec) + C, C = +0.5 for photons (-0.5 electrons)
    em_tmax_fluct: float = 0.10         # relative per-shower fluctuation of t_max
    moliere_cm: float = 5.0
    em_core: tuple[float, float] = (0.85, 0.2)  # (weight, radius in R_M) of the core; tail radius below
    em_tail_rm: float = 0.8
    em_stochastic: float = 0.10         # σ/E = a/√E
    # hadronic showers
    pion_lambda: float = 1.2            # π interaction length in units of λ_I
    mip_gev_per_lambda: float = 0.25    # visible energy of the track before the first interaction
    fem_e0_gev: float = 1.0             # Groom: <f_em> = 1 - (E/E0)^(m-1)
    fem_m: float = 0.85
    fem_sigma: float = 0.12             # event-by-event spread of f_em
    h_over_e: float = 1 / 1.36          # e/h = 1.36: hadronic energy's visible response at EM scale
    h_over_e_fluct: float = 0.10        # relative event-by-event spread of h/e
    had_tmax: tuple[float, float] = (0.2, 0.7)  # t_max = 0.2 ln(E/GeV) + 0.7 λ
    had_scale_lambda: float = 0.9       # gamma-profile scale in λ
    had_core: tuple[float, float] = (0.6, 5.0)  # (weight, radius cm) of the core
    had_halo_cm: float = 20.0
    had_stochastic: float = 0.50
    # cells
    noise_threshold_sigma: float = 2.0
    noise_window: float = 0.1           # half-width in η and φ of the window where noise-only cells appear


PHYSICS = Physics()


# ---------------------------------------------------------------------------------------------- showers
@dataclass
class _Showers:
    """Columns of one kind of shower in a chunk (one row per shower)."""

    event: np.ndarray
    energy: np.ndarray      # visible energy at EM scale, GeV
    eta: np.ndarray
    phi: np.ndarray
    start: np.ndarray       # depth of the shower start (X0 for EM, λ for hadronic)


def _spot_counts(energy: np.ndarray, per_sqrt_gev: float, low: int, high: int) -> np.ndarray:
    return np.clip(np.ceil(per_sqrt_gev * np.sqrt(np.maximum(energy, 0.0))), low, high).astype(np.int64)


def _sampling_weights(rng: np.random.Generator, energy: np.ndarray, counts: np.ndarray,
                      stochastic: float) -> np.ndarray:
    """Spot energies: each shower's energy split over its spots with gamma-distributed weights whose
    sum fluctuates by stochastic/√E (Var Σ = E·a² for n spots of shape k = E / (a² n))."""
    e = np.repeat(energy, counts)
    n = np.repeat(counts, counts).astype(np.float64)
    k = np.maximum(e / (stochastic ** 2 * n), 1e-3)
    return (e / n) * rng.gamma(k) / k


def _lateral(rng: np.random.Generator, n: int, core_weight: float, core_r: np.ndarray | float,
             tail_r: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) offsets in cm from a core + tail profile, each f(r) ∝ r R² / (r² + R²)²."""
    u = rng.random(n)
    radius = np.where(rng.random(n) < core_weight, core_r, tail_r)
    r = radius * np.sqrt(u / (1.0 - u + 1e-12))
    r = np.minimum(r, 200.0)
    angle = rng.random(n) * (2 * math.pi)
    return r * np.cos(angle), r * np.sin(angle)


def _em_spots(rng: np.random.Generator, sh: _Showers, p: Physics, profile_energy: np.ndarray,
              lateral: str) -> dict[str, np.ndarray]:
    counts = _spot_counts(sh.energy, 40.0, 12, 200)
    tmax = np.maximum(np.log(np.maximum(profile_energy, 1e-6) / p.critical_energy_gev) + p.em_tmax_offset, 0.3)
    tmax = tmax * np.clip(1 + p.em_tmax_fluct * rng.standard_normal(len(tmax)), 0.5, 1.5)
    alpha = 1.0 + p.em_b * tmax
    rep = np.repeat(np.arange(len(counts)), counts)
    t = rng.gamma(alpha[rep]) / p.em_b
    depth_x0 = sh.start[rep] + t
    n = len(rep)
    if lateral == "em":
        grow = 0.6 + 0.4 * np.minimum(t / tmax[rep], 3.0)  # showers widen with depth
        x, y = _lateral(rng, n, p.em_core[0], p.em_core[1] * p.moliere_cm * grow,
                        p.em_tail_rm * p.moliere_cm * grow)
    else:  # the π⁰s of a hadronic shower come from all over its core
        x, y = _lateral(rng, n, 1.0, p.had_core[1], p.had_core[1])
    return {"event": sh.event[rep], "depth_x0": depth_x0, "eta": sh.eta[rep], "phi": sh.phi[rep],
            "x": x, "y": y, "energy": _sampling_weights(rng, sh.energy, counts, p.em_stochastic)}


def _had_spots(rng: np.random.Generator, sh: _Showers, p: Physics, true_energy: np.ndarray) -> dict:
    counts = _spot_counts(sh.energy, 60.0, 24, 400)
    tmax = p.had_tmax[0] * np.log(np.maximum(true_energy, 1.0)) + p.had_tmax[1]
    alpha = 1.0 + tmax / p.had_scale_lambda
    rep = np.repeat(np.arange(len(counts)), counts)
    depth_lambda = sh.start[rep] + rng.gamma(alpha[rep]) * p.had_scale_lambda
    x, y = _lateral(rng, len(rep), p.had_core[0], p.had_core[1], p.had_halo_cm)
    return {"event": sh.event[rep], "depth_x0": np.interp(depth_lambda, BOUNDS_LAMBDA, BOUNDS_X0,
                                                          right=np.inf),
            "eta": sh.eta[rep], "phi": sh.phi[rep], "x": x, "y": y,
            "energy": _sampling_weights(rng, sh.energy, counts, p.had_stochastic)}


def _pi0_spots(rng: np.random.Generator, event: np.ndarray, energy: np.ndarray, eta: np.ndarray,
               phi: np.ndarray, p: Physics) -> list[dict]:
    """π⁰ → γγ, isotropic in the rest frame, boosted along the π⁰ direction; one EM shower per photon."""
    n = len(energy)
    m = PI0_MASS_GEV
    gamma = energy / m
    beta = np.sqrt(np.maximum(1 - 1 / gamma ** 2, 0.0))
    cos_star = rng.uniform(-1, 1, n)
    sin_star = np.sqrt(1 - cos_star ** 2)
    azimuth = rng.uniform(0, 2 * math.pi, n)
    theta0 = 2 * np.arctan(np.exp(-eta))
    # unit vectors: along the π⁰, along θ, along φ
    axis = np.stack([np.sin(theta0) * np.cos(phi), np.sin(theta0) * np.sin(phi), np.cos(theta0)])
    e_theta = np.stack([np.cos(theta0) * np.cos(phi), np.cos(theta0) * np.sin(phi), -np.sin(theta0)])
    e_phi = np.stack([-np.sin(phi), np.cos(phi), np.zeros(n)])
    showers = []
    for sign in (1.0, -1.0):
        e_lab = gamma * m / 2 * (1 + sign * beta * cos_star)
        p_long = gamma * m / 2 * (sign * cos_star + beta)
        p_tr = m / 2 * sin_star
        az = azimuth + (0.0 if sign > 0 else math.pi)
        d = (axis * p_long + (e_theta * np.cos(az) + e_phi * np.sin(az)) * p_tr)
        pt = np.hypot(d[0], d[1])
        g_eta = np.clip(np.arcsinh(d[2] / np.maximum(pt, 1e-12)), -5.0, 5.0)
        g_phi = np.arctan2(d[1], d[0])
        sh = _Showers(event, e_lab, g_eta, g_phi, np.zeros(n))
        showers.append(_em_spots(rng, sh, p, e_lab, "em"))
    return showers


def _pipm_spots(rng: np.random.Generator, event: np.ndarray, energy: np.ndarray, eta: np.ndarray,
                phi: np.ndarray, p: Physics) -> list[dict]:
    """π±: MIP track to the first interaction, then EM + hadronic components (no magnetic field)."""
    n = len(energy)
    total_lambda = BOUNDS_LAMBDA[-1]
    d_int = rng.exponential(p.pion_lambda, n)
    track = np.minimum(d_int, total_lambda)
    e_mip = np.minimum(p.mip_gev_per_lambda * track, 0.5 * energy)
    e_shower = np.where(d_int < total_lambda, energy - e_mip, 0.0)  # punch-through: no shower
    mean_fem = np.clip(1 - (np.maximum(energy, 1e-3) / p.fem_e0_gev) ** (p.fem_m - 1), 0.05, 0.95)
    conc = np.maximum(mean_fem * (1 - mean_fem) / p.fem_sigma ** 2 - 1, 1.0)
    fem = rng.beta(mean_fem * conc, (1 - mean_fem) * conc)
    h_e = np.clip(p.h_over_e * (1 + p.h_over_e_fluct * rng.standard_normal(n)), 0.3, 1.0)
    start_x0 = np.interp(d_int, BOUNDS_LAMBDA, BOUNDS_X0)
    em = _Showers(event, fem * e_shower, eta, phi, start_x0)
    had = _Showers(event, (1 - fem) * e_shower * h_e, eta, phi, d_int)
    n_mip = 6
    rep = np.repeat(np.arange(n), n_mip)
    mip = {"event": event[rep],
           "depth_x0": np.interp(rng.random(n * n_mip) * track[rep], BOUNDS_LAMBDA, BOUNDS_X0),
           "eta": eta[rep], "phi": phi[rep], "x": np.zeros(n * n_mip), "y": np.zeros(n * n_mip),
           "energy": e_mip[rep] / n_mip}
    # the EM component is several π⁰s: its depth profile is that of ~a quarter of its energy
    return [mip, _em_spots(rng, em, p, em.energy / 4, "had"), _had_spots(rng, had, p, e_shower)]


# ------------------------------------------------------------------------------------------------ cells
_ETA_OFFSET = 1 << 21
_ETA_BITS = 1 << 22
_PHI_BITS = 1 << 10


def _keys(event: np.ndarray, layer: np.ndarray, ieta: np.ndarray, iphi: np.ndarray) -> np.ndarray:
    return ((event * len(LAYERS) + layer) * _ETA_BITS + (ieta + _ETA_OFFSET)) * _PHI_BITS + iphi


def _unkey(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    iphi = keys % _PHI_BITS
    rest = keys // _PHI_BITS
    ieta = rest % _ETA_BITS - _ETA_OFFSET
    rest = rest // _ETA_BITS
    return rest // len(LAYERS), rest % len(LAYERS), ieta, iphi


def _cell_index(eta: np.ndarray, phi: np.ndarray, layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ieta = np.floor(eta / _DETA[layer]).astype(np.int64)
    iphi = np.floor((phi + math.pi) / _DPHI[layer]).astype(np.int64) % _NPHI[layer]
    return ieta, iphi


def _tail_normal(rng: np.random.Generator, n: int, a: float) -> np.ndarray:
    """Standard-normal values conditioned on x > a (Marsaglia's tail method)."""
    out = np.empty(n)
    todo = np.arange(n)
    while len(todo):
        x = np.sqrt(a * a - 2 * np.log(rng.random(len(todo))))
        ok = rng.random(len(todo)) * x < a
        out[todo[ok]] = x[ok]
        todo = todo[~ok]
    return out


def _digitise(rng: np.random.Generator, spots: list[dict], eta0: np.ndarray, phi0: np.ndarray,
              p: Physics) -> np.ndarray:
    """Spots → cells (noise, threshold) → (n, 128, 4) float32, most energetic first."""
    n_events = len(eta0)
    s = {k: np.concatenate([d[k] for d in spots]) for k in spots[0]}
    layer = np.searchsorted(BOUNDS_X0, s["depth_x0"], side="right") - 1
    inside = (layer >= 0) & (layer < len(LAYERS)) & (s["energy"] > 0)  # beyond the last layer: leaks out
    s = {k: v[inside] for k, v in s.items()}
    layer = layer[inside]
    radius = _RADIUS[layer]
    eta = s["eta"] + s["x"] / (radius * np.cosh(s["eta"]))
    phi = s["phi"] + s["y"] / radius
    ieta, iphi = _cell_index(np.clip(eta, -6.0, 6.0), phi, layer)
    keys, inverse = np.unique(_keys(s["event"], layer, ieta, iphi), return_inverse=True)
    energy = np.bincount(inverse, weights=s["energy"], minlength=len(keys))
    _, hit_layer, _, _ = _unkey(keys)
    energy = energy + rng.standard_normal(len(keys)) * _NOISE_GEV[hit_layer]

    # noise-only cells above threshold inside a window around the impact point, layer by layer
    p_tail = 0.5 * math.erfc(p.noise_threshold_sigma / math.sqrt(2))
    noise_keys = []
    for li in range(len(LAYERS)):
        half_eta = max(1, round(p.noise_window / _DETA[li]))
        half_phi = max(1, round(p.noise_window / _DPHI[li]))
        count = rng.binomial(4 * half_eta * half_phi, p_tail, n_events)
        ev = np.repeat(np.arange(n_events), count)
        c_eta, c_phi = _cell_index(eta0[ev], phi0[ev], np.full(len(ev), li))
        ie = c_eta - half_eta + rng.integers(0, 2 * half_eta, len(ev))
        ip = (c_phi - half_phi + rng.integers(0, 2 * half_phi, len(ev))) % _NPHI[li]
        noise_keys.append(_keys(ev, np.full(len(ev), li), ie, ip))
    nk = np.concatenate(noise_keys)
    nk = np.unique(nk[~np.isin(nk, keys)])
    _, n_layer, _, _ = _unkey(nk)
    n_energy = _tail_normal(rng, len(nk), p.noise_threshold_sigma) * _NOISE_GEV[n_layer]

    keys = np.concatenate([keys, nk])
    energy = np.concatenate([energy, n_energy])
    event, layer, ieta, iphi = _unkey(keys)
    keep = energy > p.noise_threshold_sigma * _NOISE_GEV[layer]
    event, layer, ieta, iphi, energy = event[keep], layer[keep], ieta[keep], iphi[keep], energy[keep]

    order = np.lexsort((-energy, event))
    event, layer, ieta, iphi, energy = event[order], layer[order], ieta[order], iphi[order], energy[order]
    starts = np.concatenate([[0], np.cumsum(np.bincount(event, minlength=n_events))[:-1]])
    rank = np.arange(len(event)) - starts[event]
    top = rank < MAX_CELLS
    event, layer, ieta, iphi, energy, rank = (a[top] for a in (event, layer, ieta, iphi, energy, rank))
    cells = np.zeros((n_events, MAX_CELLS, 4), dtype=np.float32)
    cells[event, rank, 0] = (ieta + 0.5) * _DETA[layer]
    cells[event, rank, 1] = (iphi + 0.5) * _DPHI[layer] - math.pi
    cells[event, rank, 2] = layer
    cells[event, rank, 3] = energy
    return cells


def simulate_clusters(rng: np.random.Generator, n: int, label: int,
                      energy_range: tuple[float, float] = (0.5, 500.0),
                      physics: Physics = PHYSICS) -> tuple[np.ndarray, np.ndarray]:
    """(cells (n, 128, 4) float32, true energy (n,) float32) for ``n`` pions of class ``label``."""
    lo, hi = energy_range
    energy = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    eta = rng.uniform(-physics.abs_eta_max, physics.abs_eta_max, n)
    phi = rng.uniform(-math.pi, math.pi, n)
    event = np.arange(n)
    make = _pi0_spots if label == 0 else _pipm_spots
    cells = _digitise(rng, make(rng, event, energy, eta, phi, physics), eta, phi, physics)
    return cells, energy.astype(np.float32)


# ------------------------------------------------------------------------------------------ files, runs
@dataclass(frozen=True)
class _Chunk:
    label: int
    index: int
    n: int
    seed: int
    energy_range: tuple[float, float]

    @property
    def filename(self) -> str:
        return f"chunk_{CLASS_NAMES[self.label]}_{self.index:04d}.npz"


def _run_chunk(parts: Path, chunk: _Chunk) -> int:
    rng = np.random.default_rng(np.random.SeedSequence([chunk.seed, chunk.label, chunk.index]))
    cells, energy = simulate_clusters(rng, chunk.n, chunk.label, chunk.energy_range)
    write_atomically(parts / chunk.filename, lambda tmp: np.savez(tmp, cells=cells, energy=energy))
    return chunk.n


def _chunk_done(path: Path, n: int) -> bool:
    try:
        with np.load(path) as f:
            return f["cells"].shape == (n, MAX_CELLS, 4) and f["energy"].shape == (n,)
    except (OSError, ValueError, KeyError):
        return False


def read_meta(path: Path) -> dict[str, Any] | None:
    """The ``meta`` dictionary of a file this generator wrote, or None."""
    try:
        if path.suffix == ".npz":
            with np.load(path) as f:
                return json.loads(str(f["meta"]))
        import h5py

        with h5py.File(path, "r") as f:
            return json.loads(f.attrs["meta"])
    except Exception:  # noqa: BLE001 - any unreadable file is "not ours"
        return None


def _write(out: Path, cells: np.ndarray, energy: np.ndarray, label: np.ndarray, meta: dict) -> None:
    def write(tmp: Path) -> None:
        if out.suffix == ".npz":
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, cells=cells, energy=energy, label=label,
                                    layer_names=np.array(LAYER_NAMES), meta=np.array(json.dumps(meta)))
            return
        import h5py

        with h5py.File(tmp, "w") as f:
            opts = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
            f.create_dataset("cells", data=cells, **opts)
            f.create_dataset("energy", data=energy)
            f.create_dataset("label", data=label)
            f.create_dataset("layer_names", data=np.array([n.encode() for n in LAYER_NAMES]))
            f.attrs["meta"] = json.dumps(meta)

    write_atomically(out, write)


def _validate(out: Path, clusters_per_class: int, energy_range: tuple[float, float], workers: int,
              chunk_size: int) -> None:
    if out.suffix not in SUFFIXES:
        raise UserError(f"{out}: the output must end in .npz, .h5 or .hdf5")
    if out.is_dir():
        raise UserError(f"{out}: is a folder; give a file name")
    if clusters_per_class <= 0:
        raise UserError(f"{out}: clusters per class must be positive, got {clusters_per_class}")
    if workers <= 0:
        raise UserError(f"{out}: workers must be positive, got {workers}")
    if chunk_size <= 0:
        raise UserError(f"{out}: chunk size must be positive, got {chunk_size}")
    lo, hi = energy_range
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise UserError(f"{out}: energy range must satisfy 0 < low < high, got {lo}..{hi} GeV")
    if lo < 2 * PI0_MASS_GEV:
        raise UserError(f"{out}: energy range must start above 0.27 GeV (π⁰ mass), got {lo}")


def generate_pion_clusters(out: Path, clusters_per_class: int, seed: int,
                           energy_range: tuple[float, float] = (0.5, 500.0), workers: int = 1,
                           progress: bool = True, chunk_size: int = 1000) -> Path:
    """Generate (or find) ``clusters_per_class`` π⁰ and π± clusters into ``out`` (.npz or .h5).

    Returns at once when ``out`` already holds a complete set made with the same arguments; another
    file there is refused. Chunks go to ``<out>.parts/`` first, so an interrupted run resumes; the
    arrays depend on (seed, clusters_per_class, energy_range, chunk_size), never on ``workers``.
    The classes are shuffled together with a permutation drawn from ``seed``.
    """
    out = Path(out)
    energy_range = (float(energy_range[0]), float(energy_range[1]))
    _validate(out, clusters_per_class, energy_range, workers, chunk_size)
    args = {"clusters_per_class": clusters_per_class, "seed": seed, "energy_range": list(energy_range),
            "chunk_size": chunk_size, "version": GENERATOR_VERSION}
    if out.exists():
        meta = read_meta(out)
        if meta is None:
            raise UserError(f"{out}: exists and is not a pion-cluster file of this generator; "
                            "use another path or delete it")
        if meta.get("args") != args:
            raise UserError(f"{out}: holds clusters generated with other arguments {meta.get('args')}; "
                            "use another path or delete it")
        return out
    check_can_write(out)
    parts = out.with_name(out.name + ".parts")
    try:
        parts.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{parts}: cannot create the folder ({exc.strerror or exc})") from None
    n_chunks = -(-clusters_per_class // chunk_size)
    chunks = [_Chunk(label, i, min(chunk_size, clusters_per_class - i * chunk_size), seed, energy_range)
              for i in range(n_chunks) for label in range(len(CLASS_NAMES))]
    todo = [c for c in chunks if not _chunk_done(parts / c.filename, c.n)]
    start = time.perf_counter()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("generating pion clusters"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("clusters", total=sum(c.n for c in todo))
        if workers == 1 or len(todo) <= 1:
            for c in todo:
                bar.advance(task, _run_chunk(parts, c))
        else:
            from joblib import Parallel, delayed, parallel_config

            with parallel_config(backend="loky", n_jobs=min(workers, len(todo)), inner_max_num_threads=1):
                for n in Parallel(return_as="generator_unordered")(delayed(_run_chunk)(parts, c) for c in todo):
                    bar.advance(task, n)
    cells, energy, label = [], [], []
    for c in chunks:
        with np.load(parts / c.filename) as f:
            cells.append(f["cells"])
            energy.append(f["energy"])
        label.append(np.full(c.n, c.label, dtype=np.int8))
    perm = np.random.default_rng(np.random.SeedSequence([seed, 7919])).permutation(2 * clusters_per_class)
    meta = {"generator": "sweep.data.calo_generator", "recipe": "parametrised ATLAS-like barrel",
            "args": args, "classes": list(CLASS_NAMES), "layer_names": list(LAYER_NAMES),
            "seconds": round(time.perf_counter() - start, 3)}
    _write(out, np.concatenate(cells)[perm], np.concatenate(energy)[perm], np.concatenate(label)[perm], meta)
    shutil.rmtree(parts, ignore_errors=True)
    return out
