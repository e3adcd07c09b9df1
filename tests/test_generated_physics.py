"""Physics sanity of the generated quickstart jets (read straight from the chunk files)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from sweep.data.schema import CLASS_NAMES, JET_FEATURES, JETS_KEY, LABEL_SLICE

COL = {name: i for i, name in enumerate(JET_FEATURES)}
JETS_PER_CLASS = 800


@pytest.fixture(scope="module")
def jets_by_class(quickstart_dir: Path) -> dict[str, np.ndarray]:
    """Jet-level rows of the quickstart set grouped by their one-hot label."""
    files = sorted(quickstart_dir.glob("jets_*.h5"))
    assert files, f"no chunk files in {quickstart_dir}"
    groups: dict[str, list[np.ndarray]] = {c: [] for c in CLASS_NAMES}
    for path in files:
        with h5py.File(path, "r") as f:
            jets = f[JETS_KEY][...]
        labels = jets[:, LABEL_SLICE].argmax(axis=1)
        cls = path.stem.split("_")[1]
        assert (labels == CLASS_NAMES.index(cls)).all(), f"{path.name}: labels disagree with file name"
        groups[cls].append(jets)
    return {c: np.concatenate(g) if g else np.zeros((0, len(JET_FEATURES))) for c, g in groups.items()}


def _median(jets: np.ndarray, column: str) -> float:
    return float(np.median(jets[:, COL[column]]))


def test_every_class_has_all_jets(jets_by_class: dict[str, np.ndarray]) -> None:
    assert {c: len(j) for c, j in jets_by_class.items()} == {c: JETS_PER_CLASS for c in CLASS_NAMES}


@pytest.mark.parametrize("cls, low, high", [("w", 65, 95), ("z", 75, 105), ("t", 140, 200)])
def test_groomed_mass_peaks_at_the_resonance(jets_by_class: dict[str, np.ndarray], cls: str, low: float,
                                              high: float) -> None:
    assert low < _median(jets_by_class[cls], "j_mass_mmdt") < high


def test_z_heavier_than_w(jets_by_class: dict[str, np.ndarray]) -> None:
    assert _median(jets_by_class["z"], "j_mass_mmdt") > _median(jets_by_class["w"], "j_mass_mmdt")


def test_gluon_jets_have_more_constituents_than_quark_jets(jets_by_class: dict[str, np.ndarray]) -> None:
    assert _median(jets_by_class["g"], "j_multiplicity") > _median(jets_by_class["q"], "j_multiplicity")


def test_prong_structure(jets_by_class: dict[str, np.ndarray]) -> None:
    """Two-prong W/Z have lower τ21 than QCD jets; three-prong tops have the lowest τ32."""
    def tau21(jets: np.ndarray) -> float:
        return float(np.median(jets[:, COL["j_tau2_b1"]] / jets[:, COL["j_tau1_b1"]]))

    qcd21 = min(tau21(jets_by_class["q"]), tau21(jets_by_class["g"]))
    assert tau21(jets_by_class["w"]) < qcd21 and tau21(jets_by_class["z"]) < qcd21
    top32 = _median(jets_by_class["t"], "j_tau32_b1")
    assert all(top32 < _median(jets_by_class[c], "j_tau32_b1") for c in ("g", "q", "w", "z"))


def test_jets_in_selection_window(jets_by_class: dict[str, np.ndarray]) -> None:
    for jets in jets_by_class.values():
        assert ((jets[:, COL["j_pt"]] > 800) & (jets[:, COL["j_pt"]] < 1200)).all()
        assert (np.abs(jets[:, COL["j_eta"]]) < 2).all()
