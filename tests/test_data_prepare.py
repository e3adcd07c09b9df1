"""prepare_data: selection, split, train-only normalisation, padding and the on-disk cache."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from jetfiles import PT, make_labels, write_150p, write_hlf

from sweep.data import cache as cache_mod
from sweep.data.config import DataConfig
from sweep.data.prepare import SPLITS, prepare_data, stratified_split
from sweep.data.schema import CLASS_NAMES, HLF_INPUTS, PARTICLE_FEATURES
from sweep.errors import UserError

PER_CLASS = {"g": 30, "q": 25, "w": 20, "z": 20, "t": 25}


@pytest.fixture(scope="module")
def p150(tmp_path_factory):
    folder = tmp_path_factory.mktemp("p150")
    return write_150p(folder / "jets.h5", make_labels(PER_CLASS, seed=5), seed=5, n_slots=40)


def cfg_for(written, **kw) -> DataConfig:
    return DataConfig(source=str(written.path), **kw)


def all_rows(data) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([data.x_train, data.x_val, data.x_test])
    y = np.concatenate([data.y_train, data.y_val, data.y_test])
    return x, y


def match_written(x: np.ndarray, written, pt_col: int) -> np.ndarray:
    """Row of the written file for each prepared jet (leading pT values are distinct random floats)."""
    lead = {float(v): i for i, v in enumerate(written.constituents[:, 0, PT])}
    return np.array([lead[float(v)] for v in x[:, 0, pt_col]])


def test_raw_values_labels_features_and_truncation(p150, tmp_path):
    cfg = cfg_for(p150, n_constituents=12, features=["etarel", "pt", "j1_deltaR"], normalization="none")
    data = prepare_data(cfg, cache_dir=tmp_path)
    assert data.feature_names == ("j1_etarel", "j1_pt", "j1_deltaR")
    assert data.target_names == CLASS_NAMES and data.task == "classification"
    x, y = all_rows(data)
    assert x.shape == (p150.labels.size, 12, 3) and x.dtype == np.float32 and y.dtype == np.float32
    rows = match_written(x, p150, pt_col=1)
    assert sorted(rows.tolist()) == list(range(p150.labels.size))  # every jet exactly once
    cols = [PARTICLE_FEATURES.index(n) for n in data.feature_names]
    np.testing.assert_array_equal(x, p150.constituents[rows][:, :12][:, :, cols])
    np.testing.assert_array_equal(y, np.eye(5, dtype=np.float32)[p150.labels[rows]])


def test_ptetaphi_and_min_pt_cut(p150, tmp_path):
    cut = float(p150.constituents[:, 0, PT].min())  # every jet keeps its leader (used to match rows)
    cfg = cfg_for(p150, n_constituents=16, min_pt=cut, normalization="none")
    data = prepare_data(cfg, cache_dir=tmp_path)
    assert data.feature_names == ("j1_pt", "j1_etarel", "j1_phirel")
    x, _ = all_rows(data)
    expected = p150.constituents[match_written(x, p150, pt_col=0)][:, :16][:, :, [5, 8, 11]].copy()
    expected[expected[:, :, 0] < cut] = 0.0
    np.testing.assert_array_equal(x, expected)
    assert np.all((x[:, :, 0] == 0) | (x[:, :, 0] >= cut))
    assert np.count_nonzero(x[:, :, 0]) < np.count_nonzero(p150.constituents[:, :16, PT])  # the cut bit


def test_class_subset(p150, tmp_path):
    data = prepare_data(cfg_for(p150, classes=["t", "g"], normalization="none"), cache_dir=tmp_path)
    assert data.target_names == ("t", "g") and data.n_outputs == 2
    x, y = all_rows(data)
    rows = match_written(x, p150, pt_col=0)
    expected = np.where(p150.labels[rows] == CLASS_NAMES.index("t"), 0, 1)
    np.testing.assert_array_equal(y.argmax(axis=1), expected)
    assert y.shape[0] == PER_CLASS["t"] + PER_CLASS["g"]
    total = {c: sum(data.meta["counts"][s][c] for s in SPLITS) for c in ("t", "g")}
    assert total == {"t": PER_CLASS["t"], "g": PER_CLASS["g"]}


def test_split_stratified_and_deterministic(p150, tmp_path):
    a = prepare_data(cfg_for(p150, seed=3), cache_dir=tmp_path / "a")
    b = prepare_data(cfg_for(p150, seed=3), cache_dir=tmp_path / "b")
    c = prepare_data(cfg_for(p150, seed=4), cache_dir=tmp_path / "c")
    assert not a.meta["cache_hit"] and not b.meta["cache_hit"]
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.x_train, c.x_train)
    for i, cls in enumerate(CLASS_NAMES):
        n = PER_CLASS[cls]
        got = {s: int(getattr(a, f"y_{s}")[:, i].sum()) for s in SPLITS}
        assert got == {s: a.meta["counts"][s][cls] for s in SPLITS}
        assert abs(got["train"] - 0.6 * n) <= 1 and abs(got["val"] - 0.2 * n) <= 1
        assert sum(got.values()) == n


def test_stratified_split_properties():
    labels = np.repeat([0, 1, 2], [50, 10, 3])
    idx = stratified_split(labels, DataConfig().split, seed=0)
    joined = np.concatenate([idx[s] for s in SPLITS])
    assert sorted(joined.tolist()) == list(range(labels.size))
    for s in SPLITS:  # every class in every split, even the 3-jet class
        assert set(labels[idx[s]].tolist()) == {0, 1, 2}


def test_normaliser_fitted_on_train_only_padding_zero(p150, tmp_path):
    raw = prepare_data(cfg_for(p150, n_constituents=24, normalization="none"), cache_dir=tmp_path)
    std = prepare_data(cfg_for(p150, n_constituents=24), cache_dir=tmp_path)
    real = np.any(raw.x_train != 0, axis=-1)
    assert np.any(~real)  # the written jets have fewer than 24 constituents now and then
    train = std.x_train[real]
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-4)
    assert np.all(std.x_train[~real] == 0)
    assert np.all(std.x_test[~np.any(raw.x_test != 0, axis=-1)] == 0)
    np.testing.assert_allclose(std.normalizer.center, raw.x_train[real].mean(axis=0), rtol=1e-5, atol=1e-6)
    assert std.meta["normalizer"]["center"] == pytest.approx(std.normalizer.center.tolist())
    val = std.x_val[np.any(raw.x_val != 0, axis=-1)]
    assert not np.allclose(val.mean(axis=0), 0.0, atol=1e-5)  # val was not used for the fit


@pytest.mark.parametrize("kind", ["robust", "minmax"])
def test_other_normalisations(p150, tmp_path, kind):
    raw = prepare_data(cfg_for(p150, normalization="none"), cache_dir=tmp_path)
    data = prepare_data(cfg_for(p150, normalization=kind), cache_dir=tmp_path)
    real = np.any(raw.x_train != 0, axis=-1)
    train = data.x_train[real]
    if kind == "minmax":
        np.testing.assert_allclose(train.min(axis=0), 0.0, atol=1e-6)
        np.testing.assert_allclose(train.max(axis=0), 1.0, atol=1e-6)
    else:
        np.testing.assert_allclose(np.median(train, axis=0), 0.0, atol=1e-5)
        q25, q75 = np.percentile(train, [25, 75], axis=0)
        np.testing.assert_allclose(q75 - q25, 1.0, atol=1e-4)
    assert np.all(data.x_train[~real] == 0)


def test_hlf_from_hlf_file_and_from_150p(tmp_path, p150):
    w = write_hlf(tmp_path / "hlf.h5", make_labels(PER_CLASS, seed=6), seed=6)
    data = prepare_data(DataConfig(source=str(w.path), representation="hlf", normalization="none"),
                        cache_dir=tmp_path / "c")
    assert data.feature_names == HLF_INPUTS and data.input_shape == (16,)
    x, _ = all_rows(data)
    written = np.stack([w.hlf[n] for n in HLF_INPUTS], axis=1)
    assert sorted(map(tuple, x.tolist())) == sorted(map(tuple, written.tolist()))
    mlp = prepare_data(cfg_for(p150, representation="hlf"), cache_dir=tmp_path / "c")
    assert mlp.input_shape == (16,) and not mlp.normalizer.mask_padding
    np.testing.assert_allclose(mlp.x_train.mean(axis=0), 0.0, atol=1e-5)


def test_max_jets(p150, tmp_path):
    data = prepare_data(cfg_for(p150, max_jets=60), cache_dir=tmp_path)
    assert sum(sum(data.meta["counts"][s].values()) for s in SPLITS) == 60
    assert data.meta["n_jets"] == 60


# --- cache ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def thousands(tmp_path_factory):
    folder = tmp_path_factory.mktemp("thousands")
    for i in range(3):
        write_150p(folder / f"jets_{i:04d}.h5", make_labels({c: 200 for c in CLASS_NAMES}, seed=i), seed=i)
    return folder


def test_cache_hit_identical_and_faster(thousands, tmp_path):
    cfg = DataConfig(source=str(thousands), n_constituents=32)
    t0 = time.perf_counter()
    miss = prepare_data(cfg, cache_dir=tmp_path)
    t1 = time.perf_counter()
    hit = prepare_data(cfg, cache_dir=tmp_path)
    t2 = time.perf_counter()
    assert not miss.meta["cache_hit"] and hit.meta["cache_hit"]
    assert hit.cache_key == miss.cache_key and (tmp_path / f"{miss.cache_key}.npz").is_file()
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(hit, name), getattr(miss, name))
    np.testing.assert_array_equal(hit.normalizer.center, miss.normalizer.center)
    assert hit.feature_names == miss.feature_names and hit.target_names == miss.target_names
    assert hit.meta["counts"] == miss.meta["counts"]
    assert t2 - t1 < t1 - t0 and t2 - t1 < 1.0
    meta = json.loads((tmp_path / f"{miss.cache_key}.json").read_text())
    assert meta["cache_key"] == miss.cache_key


def test_cache_key_follows_config_and_files(p150, tmp_path):
    a = prepare_data(cfg_for(p150), cache_dir=tmp_path)
    b = prepare_data(cfg_for(p150, n_constituents=8), cache_dir=tmp_path)
    assert a.cache_key != b.cache_key
    copy = tmp_path / "copy"
    copy.mkdir()
    w = write_150p(copy / "jets.h5", make_labels(PER_CLASS, seed=5), seed=5, n_slots=40, compress=False)
    first = prepare_data(cfg_for(w), cache_dir=tmp_path)
    st = w.path.stat()
    write_150p(w.path, make_labels(PER_CLASS, seed=6), seed=6, n_slots=40, compress=False)
    os.utime(w.path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same name, size and mtime; new content
    assert w.path.stat().st_size == st.st_size
    second = prepare_data(cfg_for(w), cache_dir=tmp_path)
    assert first.cache_key != second.cache_key and not second.meta["cache_hit"]
    assert not np.array_equal(first.x_train, second.x_train)


def test_default_cache_dir(p150, tmp_path, monkeypatch):
    monkeypatch.setenv("HLS_SWEEP_CACHE", str(tmp_path))
    data = prepare_data(cfg_for(p150))
    assert (tmp_path / "prepared" / f"{data.cache_key}.npz").is_file()


def test_failed_write_leaves_nothing(p150, tmp_path, monkeypatch):
    def broken(fh, **arrays):
        fh.write(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_mod.np, "savez", broken)
    with pytest.raises(KeyboardInterrupt):
        prepare_data(cfg_for(p150), cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_entry_is_a_miss(p150, tmp_path):
    data = prepare_data(cfg_for(p150), cache_dir=tmp_path)
    (tmp_path / f"{data.cache_key}.npz").write_bytes(b"garbage")
    again = prepare_data(cfg_for(p150), cache_dir=tmp_path)
    assert not again.meta["cache_hit"]
    np.testing.assert_array_equal(again.x_train, data.x_train)
    assert prepare_data(cfg_for(p150), cache_dir=tmp_path).meta["cache_hit"]


# --- bad input ------------------------------------------------------------------------------

def one_line(call, *needles: str) -> None:
    with pytest.raises(UserError) as info:
        call()
    assert "\n" not in str(info.value)
    for needle in needles:
        assert needle in str(info.value)


def test_bad_config_inputs(p150, tmp_path):
    one_line(lambda: prepare_data(cfg_for(p150, features=["pt", "spin"]), cache_dir=tmp_path), "spin")
    one_line(lambda: prepare_data(cfg_for(p150, features="everything"), cache_dir=tmp_path), "everything")
    one_line(lambda: prepare_data(cfg_for(p150, n_constituents=64), cache_dir=tmp_path), "jets.h5", "40")
    missing = DataConfig(source=str(tmp_path / "missing"))
    one_line(lambda: prepare_data(missing, cache_dir=tmp_path), "missing")
    with pytest.raises(ValueError):  # pydantic rejects these before any file is read
        DataConfig(classes=["g", "higgs"])
    with pytest.raises(ValueError):
        DataConfig(n_constituents=151)
    hlf = write_hlf(tmp_path / "partial.h5", make_labels(PER_CLASS), drop=("j_mass_mmdt",))
    one_line(lambda: prepare_data(DataConfig(source=str(hlf.path), representation="hlf"), cache_dir=tmp_path),
             "partial.h5", "j_mass_mmdt")
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".npz", ".json", ".tmp")]


def test_too_few_jets(tmp_path):
    w = write_150p(tmp_path / "tiny.h5", make_labels({"g": 1, "q": 1}), n_slots=4)
    one_line(lambda: prepare_data(DataConfig(source=str(w.path), classes=["g", "q"], n_constituents=4),
                                  cache_dir=tmp_path / "c"), "tiny.h5", "too few")
    assert not (tmp_path / "c").exists()
