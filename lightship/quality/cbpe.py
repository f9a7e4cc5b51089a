"""Confidence-based performance estimation (CBPE) for binary classifiers, from calibrated probabilities.

If ``p_i`` is the calibrated probability that row ``i`` is positive, then at a threshold ``t``
the expected true positives are ``sum(p_i for score_i >= t)`` and the expected false positives
``sum(1 - p_i for score_i >= t)``; over all thresholds they give an expected ROC curve, whose
area is the estimated ROC AUC. The expected accuracy of the predicted labels is
``mean(p_i if predicted positive else 1 - p_i)``. This is the method NannyML documents as CBPE,
written here in numpy (one sort and two cumulative sums: O(n log n)).

It holds only while the calibration holds: the probability of the label given the *model's
score* must be what it was on the holdout. Input drift alone keeps it (the estimate moves
with the new mix of scores); concept drift (labels change for the same inputs) breaks it,
and the estimate stays confident while realized quality falls (tests/unit/quality/test_cbpe.py
shows it; docs/quality.md says so). Called by :mod:`lightship.quality.job` and batch runs.
"""

from __future__ import annotations

import numpy as np


def estimated_roc_auc(scores: np.ndarray, calibrated: np.ndarray) -> float | None:
    """Area under the expected ROC curve; rows are ordered by the model's own score (ties kept together)."""
    s = np.asarray(scores, dtype=float)
    p = np.asarray(calibrated, dtype=float)
    if len(s) == 0:
        return None
    order = np.argsort(-s, kind="stable")
    s, p = s[order], p[order]
    tp = np.cumsum(p)
    fp = np.cumsum(1.0 - p)
    # one point per distinct score (ties move together, as roc_curve does)
    last_of_tie = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    positives, negatives = tp[-1], fp[-1]
    if positives <= 0 or negatives <= 0:
        return None
    tpr = np.r_[0.0, tp[last_of_tie] / positives]
    fpr = np.r_[0.0, fp[last_of_tie] / negatives]
    return float(np.trapezoid(tpr, fpr))


def estimated_accuracy(calibrated: np.ndarray, predicted_positive: np.ndarray) -> float | None:
    p = np.asarray(calibrated, dtype=float)
    if len(p) == 0:
        return None
    return float(np.mean(np.where(np.asarray(predicted_positive, dtype=bool), p, 1.0 - p)))


def estimate(scores: np.ndarray, calibrated: np.ndarray, predicted_positive: np.ndarray) -> dict[str, float | int | None]:
    return {
        "rows": int(len(scores)),
        "roc_auc": estimated_roc_auc(scores, calibrated),
        "accuracy": estimated_accuracy(calibrated, predicted_positive),
    }
