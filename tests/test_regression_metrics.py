"""Regression metrics against numbers worked out by hand, and their registration as task objectives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweep.config import parse_config
from sweep.errors import UserError
from sweep.metrics import regression_metrics
from sweep.objectives import OBJECTIVES

TRUE = np.array([[10.0], [20.0], [40.0], [50.0]])
KERAS = np.array([[11.0], [18.0], [40.0], [55.0]])
EMULATED = np.array([[11.5], [17.0], [42.0], [55.0]])


def test_gap_metrics_by_hand() -> None:
    m = regression_metrics(TRUE, KERAS, EMULATED)
    # emu - keras = [0.5, -1, 2, 0]
    assert m["mae"] == pytest.approx(3.5 / 4)
    assert m["output_gap"] == pytest.approx(m["mae"])
    assert m["mpe"] == pytest.approx(100 * (0.5 / 11 + 1 / 18 + 2 / 40 + 0) / 4)  # 3.7752525...
    assert m["mpe"] == pytest.approx(3.7752525, abs=1e-6)
    assert m["mpe_signed"] == pytest.approx(100 * (0.5 / 11 - 1 / 18 + 2 / 40) / 4)  # > 0: emulation over
    assert m["keras_mse"] == pytest.approx((1 + 4 + 0 + 25) / 4)
    assert m["emulated_mse"] == pytest.approx((2.25 + 9 + 4 + 25) / 4)


def test_resolution_by_hand() -> None:
    m = regression_metrics(TRUE, KERAS, EMULATED)
    # keras: (pred - true)/true = [0.1, -0.1, 0, 0.1] → sorted [-0.1, 0, 0.1, 0.1]
    assert m["keras_resolution_median"] == pytest.approx(0.05)
    assert m["keras_resolution_iqr"] == pytest.approx(0.1 - (-0.025))  # q75 = 0.1, q25 = -0.1 + 0.75·0.1
    # emulated: [0.15, -0.15, 0.05, 0.1] → sorted [-0.15, 0.05, 0.1, 0.15]
    assert m["emulated_resolution_median"] == pytest.approx(0.075)
    assert m["emulated_resolution_iqr"] == pytest.approx(0.1125 - 0.0)
    assert m["emulated_resolution_bias"] == pytest.approx(0.075)


def test_mpe_is_finite_when_keras_predicts_zero() -> None:
    m = regression_metrics(TRUE[:2], np.array([[0.0], [20.0]]), np.array([[1e-3], [20.0]]))
    assert math.isfinite(m["mpe"]) and m["mpe"] > 0
    assert m["mae"] == pytest.approx(5e-4)


def test_identical_outputs_have_no_gap() -> None:
    m = regression_metrics(TRUE, KERAS, KERAS.copy())
    assert m["mae"] == 0 and m["mpe"] == 0
    assert m["keras_resolution_iqr"] == m["emulated_resolution_iqr"]


def _study(task: str, objectives: list[str], **constraints: float) -> dict:
    data = {"source": "clusters.npz", "format": "calo", "task": task} if task == "regression" else {}
    return {"name": "s", "data": data, "model": {"family": "deepsets"}, "objectives": objectives,
            "sampler": {"name": "random", "seed": 0}, "constraints": constraints}


REGRESSION_OBJECTIVES = ["mae", "mpe", "keras_resolution_median", "keras_resolution_iqr",
                         "emulated_resolution_median", "emulated_resolution_iqr", "emulated_mse"]


def test_regression_objectives_are_registered_for_regression_only() -> None:
    for name in REGRESSION_OBJECTIVES:
        assert OBJECTIVES[name].tasks == ("regression",), name
        assert OBJECTIVES[name].direction == "minimize", name
    cfg = parse_config(_study("regression", ["mpe", "emulated_resolution_iqr", "lut"], max_mae=0.5), "s.yaml")
    assert [o.metric for o in cfg.objectives] == ["mpe", "emulated_resolution_iqr", "lut"]
    assert cfg.data.task == "regression" and cfg.data.normalization == "none"


@pytest.mark.parametrize("metric", REGRESSION_OBJECTIVES)
def test_regression_objective_on_a_classification_study_is_refused(metric: str) -> None:
    with pytest.raises(UserError, match=f"'{metric}' is a regression metric"):
        parse_config(_study("classification", ["emulated_accuracy", metric]), "s.yaml")


def test_classification_objective_and_regression_constraint_are_refused_across_tasks() -> None:
    with pytest.raises(UserError, match="'emulated_accuracy' is a classification metric"):
        parse_config(_study("regression", ["emulated_accuracy", "lut"]), "s.yaml")
    with pytest.raises(UserError, match="constraints.max_mpe"):
        parse_config(_study("classification", ["emulated_accuracy"], max_mpe=5.0), "s.yaml")
