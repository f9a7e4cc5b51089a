"""Metrics on the seeded holdout: what the quality gate and ``lightship models list`` read."""

from __future__ import annotations

import numpy as np
from sklearn import metrics

from lightship.bundle.schema import Task


def evaluate(task: Task, y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None, classes: np.ndarray | None) -> dict[str, float]:
    if task == "regression":
        return {
            "r2": float(metrics.r2_score(y_true, y_pred)),
            "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
            "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        }
    assert proba is not None and classes is not None
    out: dict[str, float] = {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "f1_macro": float(metrics.f1_score(y_true, y_pred, average="macro")),
        "log_loss": float(metrics.log_loss(y_true, proba, labels=classes)),
    }
    present = np.unique(y_true)
    if len(present) == 2 and len(classes) == 2:
        out["roc_auc"] = float(metrics.roc_auc_score(y_true == classes[1], proba[:, 1]))
    elif len(present) == len(classes):
        out["roc_auc"] = float(metrics.roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
    return out
