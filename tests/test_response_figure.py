"""The regression trials' response figure: per log-spaced bin of the truth, median and IQR of (pred − true)/true."""

from __future__ import annotations

import numpy as np
import pytest

from sweep.profile_plot import response_bins, response_figure


def test_bins_are_log_spaced_and_hold_the_relative_error_by_hand() -> None:
    true = np.repeat([1.0, 3.0, 100.0], 20)
    pred = true * np.tile(np.r_[np.full(10, 0.9), np.full(10, 1.3)], 3)  # per bin: half -10 %, half +30 %
    rows = response_bins(true, pred, n_bins=2)
    assert [r["n"] for r in rows] == [40, 20]  # edges 1, 10, 100: 1 and 3 in the first bin, 100 in the second
    assert rows[0]["center"] == pytest.approx(np.sqrt(10.0), rel=1e-6)  # geometric centre of 1 … 10
    for row in rows:
        assert row["median"] == pytest.approx(0.1)  # halfway between -0.1 and 0.3
        assert row["iqr"] == pytest.approx(0.4)


def test_few_samples_use_fewer_bins_and_non_positive_truths_are_left_out() -> None:
    true = np.r_[np.linspace(1.0, 50.0, 25), [0.0, -3.0]]
    rows = response_bins(true, true * 1.05)
    assert sum(r["n"] for r in rows) == 25 and len(rows) <= 2
    assert all(r["median"] == pytest.approx(0.05) and r["iqr"] == pytest.approx(0.0, abs=1e-12) for r in rows)


def test_figure_has_keras_and_emulated_traces_with_their_bins() -> None:
    true = np.geomspace(0.5, 500.0, 400)
    figure = response_figure(true, true * 1.02, true * 0.97)
    keras, emulated = figure.data
    assert keras.name == "Keras median" and emulated.name == "emulated median"
    np.testing.assert_allclose(keras.y, 0.02, atol=1e-9)
    np.testing.assert_allclose(emulated.y, -0.03, atol=1e-9)
    assert len(keras.x) == 12 and figure.layout.xaxis.type == "log"
