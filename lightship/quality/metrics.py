"""Realized metrics on joined rows, each with an analytic confidence interval, and a calibration table.

Point values are scikit-learn's own (``sklearn.metrics`` on the same rows: tested equal). The
intervals are analytic, so 1M rows cost one pass, not a thousand bootstrap resamples:

* ROC AUC (binary): Hanley & McNeil (1982) standard error;
* accuracy: Wilson score interval;
* log loss, Brier score, MAE: a mean of per-row losses: normal interval on the mean;
* RMSE: the normal interval of the mean squared error, square-rooted (monotone);
* R²: the delta method on ``1 - mean(e²) / mean((y - ȳ)²)`` (per-row influence function).

Multiclass ROC AUC (one-vs-rest, macro) has no analytic interval here: it is reported without one.
Called by :mod:`lightship.quality.job`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats
from sklearn import metrics as skm

CALIBRATION_BINS = 10
PRIMARY = {"classification": "roc_auc", "regression": "r2"}
HIGHER_IS_BETTER = {"roc_auc": True, "accuracy": True, "log_loss": False, "brier": False, "rmse": False, "mae": False, "r2": True}


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _mean_ci(values: np.ndarray, confidence: float) -> list[float] | None:
    n = len(values)
    if n < 2:
        return None
    mean, half = float(np.mean(values)), _z(confidence) * float(np.std(values, ddof=1)) / math.sqrt(n)
    return [mean - half, mean + half]


def _metric(value: float | None, ci: list[float] | None) -> dict[str, Any]:
    return {"value": value, "ci": ci}


def wilson(successes: int, n: int, confidence: float) -> list[float] | None:
    if n == 0:
        return None
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [centre - half, centre + half]


def hanley_mcneil(auc: float, positives: int, negatives: int, confidence: float) -> list[float] | None:
    if positives == 0 or negatives == 0:
        return None
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives)
    half = _z(confidence) * math.sqrt(max(var, 0.0))
    return [max(0.0, auc - half), min(1.0, auc + half)]


def classification(y_true: np.ndarray, proba: np.ndarray, classes: list[Any], confidence: float = 0.95) -> dict[str, Any]:
    """Metrics of class probabilities ``proba`` (columns in ``classes`` order) against labels ``y_true``."""
    y = np.asarray(y_true)
    proba = np.asarray(proba, dtype=float)
    n = len(y)
    cls = np.asarray(classes, dtype=object)
    predicted = cls[np.argmax(proba, axis=1)]
    correct = int(np.sum(predicted.astype(str) == y.astype(str)))
    out: dict[str, Any] = {"rows": n, "accuracy": _metric(correct / n if n else None, wilson(correct, n, confidence))}
    index = {str(c): i for i, c in enumerate(classes)}
    label_index = np.array([index[str(v)] for v in y], dtype=int)
    clipped = np.clip(proba[np.arange(n), label_index], 1e-15, 1.0)
    row_log_loss = -np.log(clipped)
    out["log_loss"] = _metric(float(skm.log_loss(label_index, proba, labels=list(range(len(classes))))) if n else None,
                              _mean_ci(row_log_loss, confidence))
    onehot = np.zeros_like(proba)
    onehot[np.arange(n), label_index] = 1.0
    if len(classes) == 2:
        positive = label_index == 1
        row_brier = (proba[:, 1] - positive) ** 2
        out["brier"] = _metric(float(skm.brier_score_loss(positive, proba[:, 1])) if n else None, _mean_ci(row_brier, confidence))
        pos, neg = int(positive.sum()), int(n - positive.sum())
        if pos and neg:
            auc = float(skm.roc_auc_score(positive, proba[:, 1]))
            out["roc_auc"] = _metric(auc, hanley_mcneil(auc, pos, neg, confidence))
        else:
            out["roc_auc"] = _metric(None, None)
        out["calibration"] = calibration_table(proba[:, 1], positive)
    else:
        row_brier = np.sum((proba - onehot) ** 2, axis=1)
        out["brier"] = _metric(float(np.mean(row_brier)) if n else None, _mean_ci(row_brier, confidence))
        present = np.unique(label_index)
        auc_value = (float(skm.roc_auc_score(label_index, proba, multi_class="ovr", labels=list(range(len(classes)))))
                     if len(present) == len(classes) else None)
        out["roc_auc"] = _metric(auc_value, None)
        out["calibration"] = calibration_table(np.max(proba, axis=1), predicted.astype(str) == y.astype(str))
    return out


def regression(y_true: np.ndarray, y_pred: np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    y = np.asarray(y_true, dtype=float)
    f = np.asarray(y_pred, dtype=float)
    n = len(y)
    e = y - f
    sq = e * e
    mse_ci = _mean_ci(sq, confidence)
    out: dict[str, Any] = {
        "rows": n,
        "rmse": _metric(float(np.sqrt(skm.mean_squared_error(y, f))) if n else None,
                        [math.sqrt(max(mse_ci[0], 0.0)), math.sqrt(mse_ci[1])] if mse_ci else None),
        "mae": _metric(float(skm.mean_absolute_error(y, f)) if n else None, _mean_ci(np.abs(e), confidence)),
    }
    if n >= 2 and float(np.var(y)) > 0:
        r2 = float(skm.r2_score(y, f))
        a, b = float(np.mean(sq)), float(np.mean((y - y.mean()) ** 2))
        influence = -(sq - a) / b + a / (b * b) * ((y - y.mean()) ** 2 - b)
        half = _z(confidence) * float(np.std(influence, ddof=1)) / math.sqrt(n)
        out["r2"] = _metric(r2, [r2 - half, r2 + half])
    else:
        out["r2"] = _metric(None, None)
    return out


def calibration_table(score: np.ndarray, outcome: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """Rows by predicted-probability decile of [0, 1]: count, mean predicted, observed rate."""
    s = np.asarray(score, dtype=float)
    o = np.asarray(outcome, dtype=float)
    which = np.minimum((s * bins).astype(int), bins - 1)
    counts = np.bincount(which, minlength=bins)
    predicted = np.bincount(which, weights=s, minlength=bins)
    observed = np.bincount(which, weights=o, minlength=bins)
    return [
        {"bin": [i / bins, (i + 1) / bins], "rows": int(counts[i]),
         "mean_predicted": float(predicted[i] / counts[i]) if counts[i] else None,
         "observed": float(observed[i] / counts[i]) if counts[i] else None}
        for i in range(bins)
    ]


def breached(metric: str, realized: float | None, holdout: float | None, tolerance: float) -> bool:
    """Realized worse than the holdout's by more than ``tolerance`` (in the metric's own direction)."""
    if realized is None or holdout is None:
        return False
    if HIGHER_IS_BETTER.get(metric, True):
        return realized < holdout - tolerance
    return realized > holdout + tolerance
