"""The parametrised pion-cluster generator: file schema, determinism, CLI, and physics sanity (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from sweep.cli import main
from sweep.data import builtin
from sweep.data.builtin import BUILTIN_DATASETS, PionClusterRecipe, resolve_builtin, resolve_source
from sweep.data.calo_generator import (
    LAYER_NAMES, MAX_CELLS, N_EM_LAYERS, generate_pion_clusters, read_meta,
)
from sweep.errors import UserError

PER_CLASS = 2500
SEED = 11


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, np.ndarray]:
    path = generate_pion_clusters(tmp_path_factory.mktemp("calo") / "pions.npz", PER_CLASS, SEED,
                                  progress=False, chunk_size=1000)
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _by_class(sample: dict[str, np.ndarray], label: int) -> tuple[np.ndarray, np.ndarray]:
    m = sample["label"] == label
    return sample["cells"][m], sample["energy"][m]


def _summaries(cells: np.ndarray) -> dict[str, np.ndarray]:
    e, layer = cells[..., 3], cells[..., 2]
    total = e.sum(axis=1)
    w = e / total[:, None]
    spread = {}
    for col, name in ((0, "eta"), (1, "phi")):
        mean = (w * cells[..., col]).sum(axis=1)
        spread[name] = np.sqrt((w * (cells[..., col] - mean[:, None]) ** 2).sum(axis=1))
    return {"total": total, "em_frac": (e * (layer < N_EM_LAYERS)).sum(axis=1) / total,
            "depth": (w * layer).sum(axis=1), **{f"{k}_spread": v for k, v in spread.items()}}


# ------------------------------------------------------------------------------------------- the schema
def test_schema_shapes_dtypes_and_padding(sample: dict[str, np.ndarray]) -> None:
    cells, energy, label = sample["cells"], sample["energy"], sample["label"]
    n = 2 * PER_CLASS
    assert cells.shape == (n, MAX_CELLS, 4) and cells.dtype == np.float32
    assert energy.shape == (n,) and energy.dtype == np.float32
    assert label.shape == (n,) and label.dtype == np.int8
    assert np.bincount(label).tolist() == [PER_CLASS, PER_CLASS]
    assert 0.5 <= energy.min() and energy.max() <= 500.0
    assert list(sample["layer_names"]) == list(LAYER_NAMES) and len(LAYER_NAMES) == 7
    meta = json.loads(str(sample["meta"]))
    assert meta["args"]["seed"] == SEED and meta["args"]["clusters_per_class"] == PER_CLASS
    e = cells[..., 3]
    real = e > 0
    n_real = real.sum(axis=1)
    assert (n_real > 0).all()
    # real cells first, then all-zero rows
    assert (real == (np.arange(MAX_CELLS)[None, :] < n_real[:, None])).all()
    assert (cells[~real] == 0).all()
    assert (np.diff(e, axis=1) <= 0).all(), "sorted by energy, descending"
    layers = cells[..., 2][real]
    assert set(np.unique(layers)) <= set(range(7)) and (layers == np.round(layers)).all()
    assert np.abs(cells[..., 1][real]).max() <= np.pi + 1e-5
    assert (n_real == MAX_CELLS).any(), "the 128 cap is reached by some high-energy clusters"


def test_h5_output_has_the_same_schema(tmp_path: Path) -> None:
    path = generate_pion_clusters(tmp_path / "p.h5", 40, 3, progress=False)
    with h5py.File(path, "r") as f:
        assert f["cells"].shape == (80, MAX_CELLS, 4) and f["cells"].dtype == np.float32
        assert f["energy"].dtype == np.float32 and f["label"].dtype == np.int8
        assert [n.decode() for n in f["layer_names"][()]] == list(LAYER_NAMES)
    assert read_meta(path)["args"]["clusters_per_class"] == 40


def test_same_seed_same_arrays_and_idempotent(tmp_path: Path) -> None:
    a = generate_pion_clusters(tmp_path / "a.npz", 60, 5, progress=False, chunk_size=25)
    b = generate_pion_clusters(tmp_path / "b.npz", 60, 5, progress=False, chunk_size=25)
    c = generate_pion_clusters(tmp_path / "c.npz", 60, 6, progress=False, chunk_size=25)
    with np.load(a) as fa, np.load(b) as fb, np.load(c) as fc:
        for key in ("cells", "energy", "label"):
            assert np.array_equal(fa[key], fb[key])
        assert not np.array_equal(fa["cells"], fc["cells"])
    assert not (tmp_path / "a.npz.parts").exists()
    mtime = a.stat().st_mtime_ns
    assert generate_pion_clusters(a, 60, 5, progress=False, chunk_size=25) == a  # complete: returns at once
    assert a.stat().st_mtime_ns == mtime
    with pytest.raises(UserError, match="other arguments"):
        generate_pion_clusters(a, 61, 5, progress=False, chunk_size=25)
    (tmp_path / "foreign.npz").write_text("not ours")
    with pytest.raises(UserError, match="not a pion-cluster file"):
        generate_pion_clusters(tmp_path / "foreign.npz", 10, 5, progress=False)


def test_resumes_from_finished_chunks(tmp_path: Path) -> None:
    full = generate_pion_clusters(tmp_path / "full.npz", 50, 9, progress=False, chunk_size=20)
    out = tmp_path / "resumed.npz"
    parts = tmp_path / "resumed.npz.parts"
    parts.mkdir()
    # a finished chunk from an interrupted run (here: deliberately marked, to see that it is reused)
    from sweep.data.calo_generator import _Chunk, _run_chunk

    _run_chunk(parts, _Chunk(1, 0, 20, 9, (0.5, 500.0)))
    marked = dict(np.load(parts / "chunk_pipm_0000.npz"))
    marked["energy"] = marked["energy"] + 1000.0
    np.savez(parts / "chunk_pipm_0000.npz", **marked)
    generate_pion_clusters(out, 50, 9, progress=False, chunk_size=20)
    with np.load(full) as f, np.load(out) as g:
        assert np.array_equal(f["cells"], g["cells"])
        assert np.isclose(g["energy"].sum() - f["energy"].sum(), 20 * 1000.0, rtol=1e-4)


# -------------------------------------------------------------------------------------- recipe and CLI
def test_builtin_pions_recipe(tmp_path: Path, monkeypatch) -> None:
    recipe = BUILTIN_DATASETS["pions"]
    assert (recipe.clusters_per_class, recipe.seed) == (25000, 20261201)
    assert recipe.folder_name == "pions-n25000-s20261201.npz"
    assert recipe.command == ("sweep data generate-pions --out <cache>/pions-n25000-s20261201.npz "
                              "--clusters-per-class 25000 --seed 20261201")
    monkeypatch.setenv("HLS_SWEEP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(builtin.BUILTIN_DATASETS, "pions", PionClusterRecipe("pions", 30, 20261201))
    path = resolve_builtin("pions", progress=False)
    assert path == tmp_path / "cache" / "datasets" / "pions-n30-s20261201.npz" and path.is_file()
    assert resolve_source("builtin:pions", progress=False) == path


def test_cli_generate_pions(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli.npz"
    assert main(["data", "generate-pions", "--out", str(out), "--clusters-per-class", "20",
                 "--seed", "1"]) == 0
    with np.load(out) as f:
        assert f["cells"].shape == (40, MAX_CELLS, 4)


@pytest.mark.parametrize("args, message", [
    (["--clusters-per-class", "0"], "clusters per class must be positive"),
    (["--clusters-per-class", "5", "--energy-min", "10", "--energy-max", "5"], "energy range"),
    (["--clusters-per-class", "5", "--energy-min", "0.1"], "π⁰ mass"),
    (["--clusters-per-class", "5", "--workers", "0"], "workers must be positive"),
    (["--clusters-per-class", "abc"], "clusters-per-class"),
])
def test_cli_bad_input_is_one_error_line(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    out = tmp_path / "bad.npz"
    assert main(["data", "generate-pions", "--out", str(out), "--seed", "1", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("error:") and message in err[0]
    assert not out.exists() and not (tmp_path / "bad.npz.parts").exists()


def test_cli_bad_suffix_and_folder(tmp_path: Path, capsys) -> None:
    for out in (tmp_path / "x.txt", tmp_path):
        assert main(["data", "generate-pions", "--out", str(out), "--clusters-per-class", "5",
                     "--seed", "1"]) == 2
        assert capsys.readouterr().err.startswith("error:")


# ---------------------------------------------------------------------------------------- the physics
def test_pi0_energy_is_in_the_em_layers(sample: dict[str, np.ndarray]) -> None:
    pi0 = _summaries(_by_class(sample, 0)[0])
    assert pi0["em_frac"].mean() > 0.9


def test_charged_pions_deposit_deeper_and_wider(sample: dict[str, np.ndarray]) -> None:
    pi0 = _summaries(_by_class(sample, 0)[0])
    pipm = _summaries(_by_class(sample, 1)[0])
    assert pipm["depth"].mean() > pi0["depth"].mean() + 1.0
    assert 1 - pipm["em_frac"].mean() > 0.4, "substantial Tile fraction"
    for name in ("eta_spread", "phi_spread"):
        assert np.median(pipm[name]) > 1.5 * np.median(pi0[name])


def test_cell_sum_response(sample: dict[str, np.ndarray]) -> None:
    """π⁰ cell sum ≈ true energy; π± clearly below it (non-compensation, e/h > 1)."""
    (c0, e0), (c1, e1) = _by_class(sample, 0), _by_class(sample, 1)
    r0 = _summaries(c0)["total"] / e0
    r1 = _summaries(c1)["total"] / e1
    assert 0.95 < np.median(r0[e0 > 5]) < 1.05
    assert np.median(r1[e1 > 5]) < 0.9


@pytest.mark.parametrize("label", [0, 1])
def test_relative_width_shrinks_with_energy(sample: dict[str, np.ndarray], label: int) -> None:
    cells, energy = _by_class(sample, label)
    ratio = _summaries(cells)["total"] / energy
    widths = []
    for lo, hi in ((1, 5), (10, 50), (100, 500)):
        q25, q50, q75 = np.percentile(ratio[(energy >= lo) & (energy < hi)], [25, 50, 75])
        widths.append((q75 - q25) / q50)
    assert widths[0] > 1.5 * widths[1] and widths[1] > 1.5 * widths[2], widths


def _layer_features(cells: np.ndarray) -> np.ndarray:
    e, layer = cells[..., 3], cells[..., 2]
    per_layer = np.stack([(e * (layer == i)).sum(axis=1) for i in range(len(LAYER_NAMES))], axis=1)
    total = per_layer.sum(axis=1)
    frac = per_layer / total[:, None]
    log_total = np.log(total)
    n_cells = np.log1p((e > 0).sum(axis=1))
    return np.column_stack([np.ones(len(total)), log_total, log_total ** 2, frac, frac * log_total[:, None],
                            n_cells])


def test_a_small_model_learns_the_energy(sample: dict[str, np.ndarray]) -> None:
    """Least squares on per-layer sums (log features) beats the raw cell sum on a held-out half."""
    cells, energy = sample["cells"], sample["energy"].astype(np.float64)
    x = _layer_features(cells)
    half = len(energy) // 2
    w, *_ = np.linalg.lstsq(x[:half], np.log(energy[:half]), rcond=None)
    pred = np.exp(x[half:] @ w)

    def resolution(estimate: np.ndarray) -> float:  # IQR of estimate/true over its median
        q25, q50, q75 = np.percentile(estimate / energy[half:], [25, 50, 75])
        return (q75 - q25) / q50

    raw = resolution(cells[half:, :, 3].sum(axis=1))
    learned = resolution(pred)
    assert learned < 0.75 * raw, (learned, raw)
