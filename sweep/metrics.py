"""Task metrics comparing Keras outputs, emulated (hls4ml) outputs and the truth. Pure numpy."""

from __future__ import annotations

import numpy as np


def one_vs_rest_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula; ties get average ranks. NaN if one class is absent."""
    positive = positive.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):  # average ranks over runs of equal scores
        stop = start
        while stop + 1 < len(scores) and sorted_scores[stop + 1] == sorted_scores[start]:
            stop += 1
        ranks[order[start:stop + 1]] = 0.5 * (start + stop) + 1.0
        start = stop + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(y_true: np.ndarray, y_keras: np.ndarray, y_hls: np.ndarray,
                           class_names: tuple[str, ...]) -> dict[str, float]:
    """Accuracies, gap, argmax agreement and per-class AUCs.

    ``y_keras`` and ``y_hls`` are the same quantity: both logits (softmax skipped) or both probabilities.
    """
    truth = y_true.argmax(axis=1)
    keras_pred = y_keras.argmax(axis=1)
    hls_pred = y_hls.argmax(axis=1)
    keras_acc = float((keras_pred == truth).mean())
    hls_acc = float((hls_pred == truth).mean())
    metrics: dict[str, float] = {
        "keras_accuracy": keras_acc,
        "emulated_accuracy": hls_acc,
        "accuracy_gap": abs(keras_acc - hls_acc),
        "accuracy_gap_signed": keras_acc - hls_acc,
        "agreement": float((keras_pred == hls_pred).mean()),
    }
    metrics["disagreement"] = 1.0 - metrics["agreement"]
    aucs = []
    for index, name in enumerate(class_names):
        auc = one_vs_rest_auc(y_hls[:, index], truth == index)
        metrics[f"auc_{name}"] = auc
        aucs.append(auc)
    metrics["emulated_auc"] = float(np.nanmean(aucs))
    metrics["output_gap"] = float(np.mean(np.abs(y_keras - y_hls)))
    return metrics


def regression_metrics(y_true: np.ndarray, y_keras: np.ndarray, y_hls: np.ndarray) -> dict[str, float]:
    """MSE of Keras and emulation, and the mean absolute Keras-vs-emulation difference."""
    return {
        "keras_mse": float(np.mean((y_keras - y_true) ** 2)),
        "emulated_mse": float(np.mean((y_hls - y_true) ** 2)),
        "output_gap": float(np.mean(np.abs(y_keras - y_hls))),
    }
