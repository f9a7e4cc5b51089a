"""The calibrator shipped in the bundle: Platt scaling of the positive-class probability, fitted on the holdout.

Training calls :func:`fit_calibration` on the seeded holdout and writes the result as
``calibration.json`` in the bundle (listed in its manifest like every file); CBPE
(:mod:`lightship.quality.cbpe`) reads it. Plain JSON (two coefficients), never a pickle.
Binary classifiers only: for multiclass and regression the bundle has no calibrator and the
quality job estimates nothing (docs/quality.md says why).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(q / (1 - q))


def fit_calibration(positive_proba: np.ndarray, is_positive: np.ndarray, positive_class: Any) -> dict[str, Any]:
    """Platt scaling ``sigmoid(a * logit(p) + b)`` by maximum likelihood, lightly regularised (C=1e4)
    so a separable holdout still gives finite coefficients."""
    from sklearn.linear_model import LogisticRegression

    x = _logit(positive_proba).reshape(-1, 1)
    y = np.asarray(is_positive, dtype=int)
    if len(np.unique(y)) < 2:
        return {"method": "identity", "positive_class": positive_class, "rows": int(len(y))}
    model = LogisticRegression(C=1e4, max_iter=1000).fit(x, y)
    return {"method": "platt", "a": float(model.coef_[0, 0]), "b": float(model.intercept_[0]),
            "positive_class": positive_class, "rows": int(len(y))}


def calibrate(calibration: dict[str, Any] | None, positive_proba: np.ndarray) -> np.ndarray:
    """Calibrated positive-class probabilities (the input as is without a calibrator)."""
    p = np.asarray(positive_proba, dtype=float)
    if not calibration or calibration.get("method") != "platt":
        return p
    z = calibration["a"] * _logit(p) + calibration["b"]
    return 1.0 / (1.0 + np.exp(-z))
