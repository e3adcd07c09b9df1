"""Offline jet generator: schema, labels, determinism, resume and argument checks on a tiny run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from sweep.data.generator import generate_dataset
from sweep.data.schema import (
    CLASS_NAMES, CONSTITUENTS_KEY, JET_FEATURE_NAMES_KEY, JET_FEATURES, JETS_KEY, LABEL_SLICE,
    MAX_CONSTITUENTS, PARTICLE_FEATURE_NAMES_KEY, PARTICLE_FEATURES,
)
from sweep.errors import UserError

JETS, CHUNK, SEED = 6, 4, 424242  # two chunks per class: 4 jets and 2 jets
COL = {name: i for i, name in enumerate(JET_FEATURES)}
PCOL = {name: i for i, name in enumerate(PARTICLE_FEATURES)}


def _read(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with h5py.File(path, "r") as f:
        return f[CONSTITUENTS_KEY][...], f[JETS_KEY][...]


def _chunk_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("jets_*.h5"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("tiny") / "data"
    summary = generate_dataset(out, jets_per_class=JETS, seed=SEED, workers=1, chunk_size=CHUNK,
                               progress=False)
    return out, summary


def test_files_and_summary(tiny: tuple[Path, dict]) -> None:
    out, summary = tiny
    expected = {f"jets_{c}_{i:04d}.h5" for c in CLASS_NAMES for i in (0, 1)}
    assert {p.name for p in _chunk_files(out)} == expected
    assert summary["n_jets"] == JETS * len(CLASS_NAMES)
    assert summary["per_class"] == {c: JETS for c in CLASS_NAMES}
    assert (summary["chunks_written"], summary["chunks_skipped"]) == (10, 0)
    manifest = json.loads((out / "generation.json").read_text())
    assert manifest["args"] == {"jets_per_class": JETS, "seed": SEED, "chunk_size": CHUNK,
                                "classes": list(CLASS_NAMES), "mpi": True}
    assert {c["file"] for c in manifest["chunks"]} == expected
    assert set(manifest["versions"]) == {"pythia8mc", "fastjet"}
    assert "j_undef" in manifest["zero_columns"]
    seeds = [c["pythia_seed"] for c in manifest["chunks"]]
    assert len(set(seeds)) == len(seeds) and all(1 <= s <= 900_000_000 for s in seeds)


def test_schema(tiny: tuple[Path, dict]) -> None:
    for path in _chunk_files(tiny[0]):
        with h5py.File(path, "r") as f:
            assert set(f) == {CONSTITUENTS_KEY, JETS_KEY, JET_FEATURE_NAMES_KEY, PARTICLE_FEATURE_NAMES_KEY}
            n = 4 if path.stem.endswith("0000") else 2
            assert f[CONSTITUENTS_KEY].shape == (n, MAX_CONSTITUENTS, len(PARTICLE_FEATURES))
            assert f[JETS_KEY].shape == (n, len(JET_FEATURES))
            assert f[CONSTITUENTS_KEY].dtype == np.float32 and f[JETS_KEY].dtype == np.float32
            assert f[JETS_KEY].compression == "gzip" and f[JETS_KEY].shuffle
            assert [b.decode() for b in f[JET_FEATURE_NAMES_KEY][...]] == list(JET_FEATURES)
            assert [b.decode() for b in f[PARTICLE_FEATURE_NAMES_KEY][...]] == list(PARTICLE_FEATURES)
            assert isinstance(f[JET_FEATURE_NAMES_KEY][0], bytes)


def test_labels_match_file_class(tiny: tuple[Path, dict]) -> None:
    for path in _chunk_files(tiny[0]):
        cls = path.stem.split("_")[1]
        _, jets = _read(path)
        labels = jets[:, LABEL_SLICE]
        expected = np.zeros(len(CLASS_NAMES), dtype=np.float32)
        expected[CLASS_NAMES.index(cls)] = 1
        assert (labels == expected).all(), path.name
        assert (jets[:, COL["j_undef"]] == 0).all()


def test_jets_in_window_and_consistent(tiny: tuple[Path, dict]) -> None:
    for path in _chunk_files(tiny[0]):
        cons, jets = _read(path)
        pt, eta, mult = jets[:, COL["j_pt"]], jets[:, COL["j_eta"]], jets[:, COL["j_multiplicity"]]
        assert ((pt > 800) & (pt < 1200)).all() and (np.abs(eta) < 2).all()
        assert (jets[:, COL["j_mass"]] > 0).all() and (mult >= 2).all()
        assert (jets[:, COL["j_mass_mmdt"]] <= jets[:, COL["j_mass"]] * 1.0001 + 1e-3).all()
        assert np.isfinite(jets).all() and np.isfinite(cons).all()
        for c, j in zip(cons, jets):
            n = int(min(j[COL["j_multiplicity"]], MAX_CONSTITUENTS))
            cpt = c[:, PCOL["j1_pt"]]
            assert (cpt[:n] > 0).all() and (c[n:] == 0).all()
            assert (np.diff(cpt[:n]) <= 0).all()
            np.testing.assert_allclose(c[:n, PCOL["j1_ptrel"]], cpt[:n] / j[COL["j_pt"]], rtol=1e-4)
            dr = np.hypot(c[:n, PCOL["j1_etarel"]], c[:n, PCOL["j1_phirel"]])
            np.testing.assert_allclose(c[:n, PCOL["j1_deltaR"]], dr, rtol=1e-4, atol=1e-6)
            rot = np.hypot(c[:n, PCOL["j1_etarot"]], c[:n, PCOL["j1_phirot"]])
            np.testing.assert_allclose(rot, dr, rtol=1e-3, atol=1e-5)
            if n == j[COL["j_multiplicity"]]:  # all constituents stored: they sum to the jet
                p4 = c[:n, :4].astype(np.float64)
                total = p4.sum(axis=0)
                np.testing.assert_allclose(np.hypot(total[0], total[1]), j[COL["j_pt"]], rtol=1e-4)
                # anti-kT R=0.8 in (y, φ): every constituent within 0.8 of the axis (stored ΔR uses η)
                rap = 0.5 * np.log((p4[:, 3] + p4[:, 2]) / (p4[:, 3] - p4[:, 2]))
                jet_rap = 0.5 * np.log((total[3] + total[2]) / (total[3] - total[2]))
                assert (np.hypot(rap - jet_rap, c[:n, PCOL["j1_phirel"]]) < 0.8 + 1e-3).all()


def test_same_seed_same_arrays_with_two_workers(tiny: tuple[Path, dict], tmp_path: Path) -> None:
    out = tmp_path / "parallel"
    summary = generate_dataset(out, jets_per_class=JETS, seed=SEED, workers=2, chunk_size=CHUNK,
                               progress=False)
    assert summary["chunks_written"] == 10
    for path in _chunk_files(tiny[0]):
        for a, b in zip(_read(path), _read(out / path.name)):
            np.testing.assert_array_equal(a, b)


def test_class_subset_reproduces_and_seed_matters(tiny: tuple[Path, dict], tmp_path: Path) -> None:
    same = generate_dataset(tmp_path / "same", jets_per_class=2, seed=SEED, chunk_size=CHUNK,
                            classes=["w"], progress=False)
    assert same["per_class"] == {"w": 2}
    ref = _read(tiny[0] / "jets_w_0000.h5")[1]
    np.testing.assert_array_equal(_read(tmp_path / "same" / "jets_w_0000.h5")[1], ref[:2])
    generate_dataset(tmp_path / "other", jets_per_class=2, seed=SEED + 1, chunk_size=CHUNK,
                     classes=["w"], progress=False)
    assert not np.array_equal(_read(tmp_path / "other" / "jets_w_0000.h5")[1], ref[:2])


def test_resume_rewrites_only_missing_chunk(tiny: tuple[Path, dict], tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(tiny[0], out)
    victim = out / "jets_t_0001.h5"
    original = _read(victim)
    victim.unlink()
    mtimes = {p.name: p.stat().st_mtime_ns for p in _chunk_files(out)}
    summary = generate_dataset(out, jets_per_class=JETS, seed=SEED, chunk_size=CHUNK, progress=False)
    assert (summary["chunks_written"], summary["chunks_skipped"]) == (1, 9)
    for a, b in zip(original, _read(victim)):
        np.testing.assert_array_equal(a, b)
    assert {p.name: p.stat().st_mtime_ns for p in _chunk_files(out) if p.name in mtimes} == mtimes
    again = generate_dataset(out, jets_per_class=JETS, seed=SEED, chunk_size=CHUNK, progress=False)
    assert (again["chunks_written"], again["chunks_skipped"]) == (0, 10)
    assert not list(out.glob(".*tmp*"))


@pytest.mark.parametrize("kwargs, problem", [
    ({"jets_per_class": 0}, "jets per class"),
    ({"chunk_size": 0}, "chunk size"),
    ({"classes": ["g", "x"]}, "unknown class"),
    ({"seed": SEED + 7}, "other arguments"),
])
def test_bad_arguments(tiny: tuple[Path, dict], tmp_path: Path, kwargs: dict, problem: str) -> None:
    out = tmp_path / "bad"
    out.mkdir()
    shutil.copy(tiny[0] / "generation.json", out)
    args = {"jets_per_class": JETS, "seed": SEED, "chunk_size": CHUNK, "progress": False, **kwargs}
    with pytest.raises(UserError, match=problem) as err:
        generate_dataset(out, **args)
    assert str(err.value).startswith(f"{out}: ")
    assert not list(out.glob("jets_*.h5"))


def test_out_dir_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.h5"
    target.write_text("not a folder")
    with pytest.raises(UserError, match="not a folder"):
        generate_dataset(target, jets_per_class=1, seed=1, progress=False)
