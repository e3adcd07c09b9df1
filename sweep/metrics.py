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


#: |Keras prediction| below this (in target units, GeV for energies) counts as this in the MPE denominator.
MPE_FLOOR = 1e-6


def resolution(pred: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """Median and interquartile width (q75 − q25, linear interpolation) of (pred − true) / true."""
    true = np.asarray(true, dtype=np.float64)
    safe = np.where(np.abs(true) > 0, true, np.nan)  # a zero truth has no relative error
    rel = (np.asarray(pred, dtype=np.float64) - true) / safe
    rel = rel[np.isfinite(rel)]
    if rel.size == 0:
        return float("nan"), float("nan")
    q25, q50, q75 = np.percentile(rel, [25, 50, 75])
    return float(q50), float(q75 - q25)


def regression_metrics(y_true: np.ndarray, y_keras: np.ndarray, y_hls: np.ndarray) -> dict[str, float]:
    """Keras-vs-emulation gap (``mae``, ``mpe``) and each side's error against the truth.

    ``mae`` = mean |emu − keras|; ``mpe`` = 100 · mean(|emu − keras| / max(|keras|, MPE_FLOOR)) (≥ 0);
    ``mpe_signed`` the same without the absolute value in the numerator (> 0: the emulation predicts more).
    Resolutions: median, |median| (``*_bias``) and interquartile width of (pred − true) / true, for Keras
    and the emulation.
    """
    y_true, y_keras, y_hls = (np.asarray(a, dtype=np.float64) for a in (y_true, y_keras, y_hls))
    diff = y_hls - y_keras
    denominator = np.maximum(np.abs(y_keras), MPE_FLOOR)
    keras_median, keras_iqr = resolution(y_keras, y_true)
    emulated_median, emulated_iqr = resolution(y_hls, y_true)
    return {
        "keras_mse": float(np.mean((y_keras - y_true) ** 2)),
        "emulated_mse": float(np.mean((y_hls - y_true) ** 2)),
        "mae": float(np.mean(np.abs(diff))),
        "mpe": float(100.0 * np.mean(np.abs(diff) / denominator)),
        "mpe_signed": float(100.0 * np.mean(diff / denominator)),
        "output_gap": float(np.mean(np.abs(diff))),
        "keras_resolution_median": keras_median,
        "keras_resolution_bias": abs(keras_median),
        "keras_resolution_iqr": keras_iqr,
        "emulated_resolution_median": emulated_median,
        "emulated_resolution_bias": abs(emulated_median),
        "emulated_resolution_iqr": emulated_iqr,
    }
