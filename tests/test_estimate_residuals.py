"""Residuals of estimate:analytic on every recorded public synthesis, with the bands docs/estimate_residuals.md states.

The rows are recomputed with ``bench/estimate_residuals.py`` (the command that writes the docs table): each
recorded run is converted with hls4ml (no compile, ~10 s for all) and compared with its csynth report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import estimate_residuals as er  # noqa: E402
import mlp_rows as mr  # noqa: E402


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    root = tmp_path_factory.mktemp("residuals")
    return {r.design: r for r in er.residuals(str(root))}


def test_split_is_fixed_and_covers_every_record(rows):
    assert set(er.SPLIT) <= set(rows)
    groups = {r.group for r in rows.values()}
    assert groups == {"fit", "hold-out", "not modelled"}
    # whole authors on one side: no repository feeds both the fit and the hold-out set
    fit = {r.source.split("@")[0] for r in rows.values() if r.group == "fit"}
    held = {r.source.split("@")[0] for r in rows.values() if r.group == "hold-out"}
    assert not fit & held


@pytest.mark.parametrize("design", sorted(er.SPLIT))
def test_within_documented_band(rows, design):
    r = rows[design]
    band = er.BANDS[er.band_key(r)]
    for metric, limit in band.items():
        if limit is None:
            continue
        error = r.error(metric)
        if error is None:  # the report has 0 and the estimate too (a run without BRAM): exact
            assert r.reported[metric] == 0 and r.estimated[metric] == 0, (design, metric)
            continue
        assert abs(error) <= limit, (design, metric, r.reported[metric], r.estimated[metric])


def test_recorded_weights_match_the_reports():
    """Every kernel holds the nonzero count its run's parameters.h declared (n_zeros/n_nonzeros)."""
    import numpy as np

    for case in mr.CASES:
        record = mr.load_record(case)
        for layer in record.dense_layers:
            kernel, _ = record.weights[layer["name"]]
            assert kernel.shape == (layer["n_in"], layer["n_out"])
            if layer.get("n_zeros") is not None:
                assert int(np.sum(kernel == 0)) == layer["n_zeros"], (case, layer["name"])


def test_docs_tables_are_the_generated_ones(rows):
    """docs/estimate_residuals.md holds exactly what `bench/estimate_residuals.py --write` writes for these rows."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "estimate_residuals.md").read_text()
    block = docs.split("<!-- residuals:begin -->\n", 1)[1].split("\n<!-- residuals:end -->", 1)[0]
    assert block == er.markdown(list(rows.values()))


@pytest.mark.parametrize("design", sorted(er.SPLIT))
def test_dense_layer_latency_matches_its_instance(rows, design):
    """Each dense layer's own latency (the estimate's cycles less the top level's output register) against
    the latency the report gives that layer's instance, within the per-band limit the docs table states."""
    r = rows[design]
    errors = er.instance_latency_errors(r)
    if r.group == "fit":  # every fit-set report lists its instance latencies, and each dense layer is paired
        assert len(errors) == sum(1 for layer in r.layers if layer["kind"] == "dense"), design
    if errors:
        limit = er.INSTANCE_BANDS[er.band_key(r)]
        assert max(abs(e) for e in errors) <= limit, (design, errors)
