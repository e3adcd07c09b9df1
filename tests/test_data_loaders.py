"""Loaders read the public 150p and HLF schemas back exactly, and reject bad input with one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from jetfiles import PT, make_labels, write_150p, write_hlf, write_other

from sweep.data.loaders import list_h5_files, load_jets, stratified_subset
from sweep.data.schema import CLASS_NAMES, HLF_INPUTS, JET_FEATURES
from sweep.errors import UserError

PER_CLASS = {"g": 9, "q": 7, "w": 5, "z": 6, "t": 8}


def user_error(call, *needles: str) -> str:
    """Run ``call``; it must raise a one-line UserError containing every needle."""
    with pytest.raises(UserError) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg
    return msg


@pytest.fixture()
def p150(tmp_path: Path):
    return write_150p(tmp_path / "jets.h5", make_labels(PER_CLASS, seed=1), seed=1, shuffle_jet_columns=True)


def test_150p_read_back_exactly(p150):
    data = load_jets(p150.path, n_constituents=10, multiplicity=True)
    assert data.format == "jets150p" and data.class_names == CLASS_NAMES
    assert data.n_jets == sum(PER_CLASS.values())
    np.testing.assert_array_equal(data.labels, p150.labels)
    assert data.constituents.dtype == np.float32 and data.constituents.shape == (data.n_jets, 10, 16)
    np.testing.assert_array_equal(data.constituents, p150.constituents[:, :10])
    np.testing.assert_array_equal(data.multiplicity, p150.multiplicity)
    for name in ("j_mass", "j_mass_mmdt", *HLF_INPUTS):  # columns were shuffled: found by stored name
        np.testing.assert_array_equal(data.features[name], p150.jets[:, JET_FEATURES.index(name)])


def test_150p_padding_is_zero(p150):
    data = load_jets(p150.path)
    slots = np.arange(150)[None, :]
    padded = slots >= p150.multiplicity[:, None]
    assert np.all(data.constituents[padded] == 0)
    assert np.all(data.constituents[~padded][:, PT] > 0)


def test_150p_without_names_uses_schema_positions(tmp_path):
    w = write_150p(tmp_path / "plain.h5", make_labels(PER_CLASS), names=False)
    data = load_jets(w.path, representation="hlf", jet_features=HLF_INPUTS)
    np.testing.assert_array_equal(data.labels, w.labels)
    assert data.constituents is None
    np.testing.assert_array_equal(data.features["j_zlogz"], w.jets[:, JET_FEATURES.index("j_zlogz")])


def test_folder_in_sorted_order(tmp_path):
    b = write_150p(tmp_path / "jets_t_0001.h5", make_labels({"t": 4, "g": 3}, seed=2), seed=2, n_slots=20)
    a = write_150p(tmp_path / "jets_g_0000.h5", make_labels({"g": 5, "q": 2}, seed=3), seed=3, n_slots=20)
    (tmp_path / "generation.json").write_text("{}")
    assert [p.name for p in list_h5_files(tmp_path)] == ["jets_g_0000.h5", "jets_t_0001.h5"]
    data = load_jets(tmp_path, n_constituents=20, classes=["g", "q", "t"])
    mapping = {CLASS_NAMES.index(c): i for i, c in enumerate(["g", "q", "t"])}
    expected = np.array([mapping[x] for x in np.concatenate([a.labels, b.labels])])
    np.testing.assert_array_equal(data.labels, expected)
    np.testing.assert_array_equal(data.constituents, np.concatenate([a.constituents, b.constituents]))
    assert data.per_file == {str(a.path): 7, str(b.path): 7}


def test_hlf_file(tmp_path):
    w = write_hlf(tmp_path / "hlf.h5", make_labels(PER_CLASS, seed=4), seed=4)
    data = load_jets(w.path, representation="hlf", multiplicity=True)
    assert data.format == "hlf" and data.constituents is None
    np.testing.assert_array_equal(data.labels, w.labels)
    for name in HLF_INPUTS:
        np.testing.assert_array_equal(data.features[name], w.hlf[name])
    np.testing.assert_array_equal(data.multiplicity, w.multiplicity)


def test_class_subset_in_requested_order(p150):
    data = load_jets(p150.path, classes=["t", "w"], representation="none")
    keep = np.isin(p150.labels, [CLASS_NAMES.index("t"), CLASS_NAMES.index("w")])
    expected = np.where(p150.labels[keep] == CLASS_NAMES.index("t"), 0, 1)
    np.testing.assert_array_equal(data.labels, expected)
    assert data.class_names == ("t", "w") and data.n_other == int((~keep).sum())


def test_max_jets_is_stratified_and_seeded(tmp_path):
    w = write_150p(tmp_path / "j.h5", make_labels({"g": 40, "q": 20, "w": 20, "z": 10, "t": 10}), n_slots=8)
    a = load_jets(w.path, max_jets=50, seed=1)
    b = load_jets(w.path, max_jets=50, seed=1)
    c = load_jets(w.path, max_jets=50, seed=2)
    assert a.n_jets == 50
    assert np.bincount(a.labels).tolist() == [20, 10, 10, 5, 5]
    np.testing.assert_array_equal(a.constituents, b.constituents)
    assert not np.array_equal(a.constituents, c.constituents)
    idx = stratified_subset(w.labels, 50, 1)  # the rows kept are rows of the file
    np.testing.assert_array_equal(a.constituents, w.constituents[idx])


# --- bad input: one line naming the file and the problem ---------------------------------------

def test_missing_path(tmp_path):
    user_error(lambda: load_jets(tmp_path / "nope.h5"), "nope.h5", "no such file")


def test_folder_without_h5(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    user_error(lambda: load_jets(tmp_path), str(tmp_path), "no .h5 files")
    empty = tmp_path / "empty"
    empty.mkdir()
    user_error(lambda: load_jets(empty), "empty", "no .h5 files")


def test_not_hdf5(tmp_path):
    bad = tmp_path / "fake.h5"
    bad.write_text("hello, not hdf5")
    user_error(lambda: load_jets(bad), "fake.h5", "not an HDF5 file")


def test_other_schema_lists_keys(tmp_path):
    other = write_other(tmp_path / "other.h5")
    user_error(lambda: load_jets(other), "other.h5", "images", "targets")


def test_format_mismatch(p150):
    user_error(lambda: load_jets(p150.path, format="hlf"), "jets.h5", "jets150p")


def test_too_many_constituents_for_file(tmp_path):
    w = write_150p(tmp_path / "short.h5", make_labels(PER_CLASS), n_slots=20)
    user_error(lambda: load_jets(w.path, n_constituents=32), "short.h5", "32", "20")


def test_unknown_class(p150):
    user_error(lambda: load_jets(p150.path, classes=["g", "higgs"]), "jets.h5", "higgs")


def test_empty_file(tmp_path):
    w = write_150p(tmp_path / "zero.h5", make_labels({}))
    user_error(lambda: load_jets(w.path), "zero.h5", "0 jets")


def test_requested_class_absent(tmp_path):
    w = write_150p(tmp_path / "gq.h5", make_labels({"g": 4, "q": 4}))
    user_error(lambda: load_jets(w.path, classes=["g", "t"]), "gq.h5", "'t'")


def test_hlf_inputs_missing(tmp_path):
    w = write_hlf(tmp_path / "partial.h5", make_labels(PER_CLASS), drop=("j_zlogz",))
    user_error(lambda: load_jets(w.path, representation="hlf"), "partial.h5", "j_zlogz")


def test_hlf_file_has_no_constituents(tmp_path):
    w = write_hlf(tmp_path / "hlf.h5", make_labels(PER_CLASS))
    user_error(lambda: load_jets(w.path, representation="constituents"), "hlf.h5", "no constituents")
