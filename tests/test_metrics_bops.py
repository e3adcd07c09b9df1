"""Task metrics (AUC, accuracy gap, agreement) and BOPs, against brute force and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hls_workers.bops import DenseCost, layer_bops, total_bops
from sweep.metrics import classification_metrics, one_vs_rest_auc, regression_metrics


def brute_force_auc(scores, positive) -> float:
    """P(score of a random positive > score of a random negative), ties counting 1/2: every pair."""
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    wins = 0.0
    for a in pos:
        for b in neg:
            wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return wins / (len(pos) * len(neg))


# ---------------------------------------------------------------- AUC


@pytest.mark.parametrize("seed", range(8))
def test_auc_matches_pairwise_count(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    # few distinct values -> many ties; continuous values -> almost none
    scores = rng.integers(0, 6, n).astype(float) if seed % 2 else rng.normal(size=n)
    positive = rng.random(n) < rng.uniform(0.1, 0.9)
    if positive.all() or not positive.any():
        positive[0] = not positive[0]
    assert one_vs_rest_auc(scores, positive) == pytest.approx(brute_force_auc(scores, positive), abs=1e-12)


def test_auc_known_values():
    positive = np.array([0, 0, 1, 1])
    assert one_vs_rest_auc(np.array([0.1, 0.2, 0.8, 0.9]), positive) == 1.0
    assert one_vs_rest_auc(np.array([0.9, 0.8, 0.2, 0.1]), positive) == 0.0
    assert one_vs_rest_auc(np.full(4, 0.3), positive) == 0.5
    # one tie between a positive and a negative out of 4 pairs, the rest won: (3 + 1/2) / 4
    assert one_vs_rest_auc(np.array([0.1, 0.5, 0.5, 0.9]), positive) == pytest.approx(3.5 / 4)


def test_auc_accepts_integer_labels_and_does_not_modify_inputs():
    scores = np.array([0.3, 0.1, 0.7, 0.7, 0.2])
    positive = np.array([1, 0, 1, 0, 0])
    copy_s, copy_p = scores.copy(), positive.copy()
    assert one_vs_rest_auc(scores, positive) == pytest.approx(brute_force_auc(scores, positive.astype(bool)))
    assert np.array_equal(scores, copy_s) and np.array_equal(positive, copy_p)


@pytest.mark.parametrize("positive", [np.zeros(5, bool), np.ones(5, bool)], ids=["no-positive", "no-negative"])
def test_auc_nan_when_a_class_is_absent(positive):
    assert math.isnan(one_vs_rest_auc(np.arange(5.0), positive))


# ---------------------------------------------------------------- classification metrics


def _one_hot(labels, n):
    return np.eye(n)[np.asarray(labels)]


def test_classification_metrics_on_crafted_arrays():
    classes = ("a", "b", "c")
    truth = [0, 1, 2, 0, 1, 2, 0, 1]
    keras_pred = [0, 1, 2, 0, 1, 0, 1, 1]  # 6/8 right
    hls_pred = [0, 1, 2, 1, 2, 0, 1, 1]    # 4/8 right; agrees with keras on 6/8
    rng = np.random.default_rng(0)

    def scores(pred):
        s = rng.uniform(0, 0.5, (len(pred), 3))
        s[np.arange(len(pred)), pred] = 1.0
        return s

    y_true, y_keras, y_hls = _one_hot(truth, 3), scores(keras_pred), scores(hls_pred)
    m = classification_metrics(y_true, y_keras, y_hls, classes)
    assert m["keras_accuracy"] == pytest.approx(6 / 8)
    assert m["emulated_accuracy"] == pytest.approx(4 / 8)
    assert m["accuracy_gap"] == pytest.approx(2 / 8)
    assert m["accuracy_gap_signed"] == pytest.approx(2 / 8)
    assert m["agreement"] == pytest.approx(6 / 8)
    assert m["disagreement"] == pytest.approx(2 / 8)
    aucs = []
    for i, name in enumerate(classes):
        expected = brute_force_auc(y_hls[:, i], np.asarray(truth) == i)
        assert m[f"auc_{name}"] == pytest.approx(expected)
        aucs.append(expected)
    assert m["emulated_auc"] == pytest.approx(np.mean(aucs))
    assert m["output_gap"] == pytest.approx(np.abs(y_keras - y_hls).mean())


def test_accuracy_gap_is_absolute_when_hls_is_better():
    truth = _one_hot([0, 1, 0, 1], 2)
    keras = _one_hot([1, 1, 1, 1], 2).astype(float)  # 2/4
    hls = _one_hot([0, 1, 0, 0], 2).astype(float)    # 3/4
    m = classification_metrics(truth, keras, hls, ("x", "y"))
    assert m["accuracy_gap"] == pytest.approx(0.25)
    assert m["accuracy_gap_signed"] == pytest.approx(-0.25)
    assert m["agreement"] == pytest.approx(1 / 4)  # only sample 1 has the same argmax


def test_equal_accuracy_can_still_disagree():
    truth = _one_hot([0, 1, 0, 1], 2)
    keras = _one_hot([0, 0, 0, 0], 2).astype(float)  # right on 0 and 2
    hls = _one_hot([1, 1, 1, 1], 2).astype(float)    # right on 1 and 3
    m = classification_metrics(truth, keras, hls, ("x", "y"))
    assert m["accuracy_gap"] == 0.0
    assert m["agreement"] == 0.0 and m["disagreement"] == 1.0


def test_absent_class_auc_is_nan_and_skipped_in_mean():
    truth = _one_hot([0, 1, 0, 1, 1], 3)  # class "c" never occurs
    rng = np.random.default_rng(3)
    y = rng.normal(size=(5, 3))
    m = classification_metrics(truth, y, y, ("a", "b", "c"))
    assert math.isnan(m["auc_c"])
    assert m["emulated_auc"] == pytest.approx((m["auc_a"] + m["auc_b"]) / 2)
    assert m["agreement"] == 1.0 and m["accuracy_gap"] == 0.0 and m["output_gap"] == 0.0


def test_regression_metrics():
    rng = np.random.default_rng(7)
    y = rng.normal(size=(50, 2))
    keras = y + rng.normal(scale=0.1, size=y.shape)
    hls = keras + rng.normal(scale=0.05, size=y.shape)
    m = regression_metrics(y, keras, hls)
    n = y.size
    assert m["keras_mse"] == pytest.approx(sum(float(d) ** 2 for d in (keras - y).ravel()) / n)
    assert m["emulated_mse"] == pytest.approx(sum(float(d) ** 2 for d in (hls - y).ravel()) / n)
    assert m["output_gap"] == pytest.approx(sum(abs(float(d)) for d in (keras - hls).ravel()) / n)


# ---------------------------------------------------------------- BOPs


def _ceil_log2(n: int) -> int:
    return (n - 1).bit_length() if n > 1 else 0


def test_bops_two_layer_example_by_hand():
    # layer 1: 3 inputs -> 4 outputs, applied to 8 constituents, 12-bit inputs, 6-bit weights, 4 pruned
    kernel1 = np.array([[0.5, 0.0, -0.25, 0.125],
                        [0.0, 0.75, 0.5, 0.0],
                        [0.25, 0.5, 0.0, -0.5]])
    # layer 2: 4 inputs -> 2 outputs, once, 8-bit activations in, 4-bit weights, 1 pruned
    kernel2 = np.array([[0.5, 0.0], [0.25, -0.5], [0.75, 0.5], [-0.25, 0.125]])
    l1 = DenseCost("phi_0", 3, 4, int(np.count_nonzero(kernel1)), input_bits=12, weight_bits=6, repeats=8)
    l2 = DenseCost("rho_0", 4, 2, int(np.count_nonzero(kernel2)), input_bits=8, weight_bits=4)
    assert (l1.nonzero_weights, l2.nonzero_weights) == (8, 7)
    # per weight: b_a*b_w + b_a + b_w + ceil(log2 n_in)
    # layer 1: 12*6 + 12 + 6 + ceil(log2 3)=2 -> 92; x 8 weights x 8 repeats
    # layer 2: 8*4 + 8 + 4 + ceil(log2 4)=2 -> 46; x 7 weights
    assert layer_bops(l1) == 8 * 8 * (72 + 12 + 6 + 2)
    assert layer_bops(l2) == 7 * (32 + 8 + 4 + 2)
    assert total_bops([l1, l2]) == 8 * 8 * 92 + 7 * 46


def test_pruned_weights_cost_nothing_and_repeats_scale():
    dense = DenseCost("d", 16, 8, 128, 8, 8)
    assert layer_bops(DenseCost("d", 16, 8, 0, 8, 8)) == 0
    half = DenseCost("d", 16, 8, 64, 8, 8)
    assert layer_bops(dense) == 2 * layer_bops(half)
    assert layer_bops(DenseCost("d", 16, 8, 128, 8, 8, repeats=16)) == 16 * layer_bops(dense)


@pytest.mark.parametrize("n_in", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64, 150, 1024, 1025])
def test_adder_width_uses_ceil_log2(n_in):
    bits_in, bits_w = 7, 5
    expected = 3 * 2 * (bits_in * bits_w + bits_in + bits_w + _ceil_log2(n_in))
    assert layer_bops(DenseCost("d", n_in, 4, 3, bits_in, bits_w, repeats=2)) == expected


def test_total_bops_sums_layers():
    rng = np.random.default_rng(11)
    layers = [DenseCost(f"l{i}", int(rng.integers(1, 64)), int(rng.integers(1, 64)), int(rng.integers(0, 500)),
                        int(rng.integers(1, 16)), int(rng.integers(2, 16)), int(rng.integers(1, 20)))
              for i in range(6)]
    by_hand = sum(l.repeats * l.nonzero_weights * (l.input_bits * l.weight_bits + l.input_bits + l.weight_bits
                                                   + _ceil_log2(l.n_in)) for l in layers)
    assert total_bops(layers) == by_hand
    assert total_bops([]) == 0
    assert isinstance(total_bops(layers), int)
