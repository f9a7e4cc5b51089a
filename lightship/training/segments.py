"""Holdout metrics per segment value (``lightship train --segments col1,col2``), with counts and intervals.

For every segment column and each of its values (a missing value is its own segment, ``(missing)``),
the holdout rows of that value are scored with the same metrics the quality job computes on
realized labels (:mod:`lightship.quality.metrics`: scikit-learn's point values on the same rows), so
a segment's figure here and its realized figure later are one definition. The intervals are
analytic, chosen there and reused here rather than bootstrapped:

* accuracy: the Wilson score interval. Unlike the normal (Wald) interval it stays inside [0, 1]
  and keeps close to its nominal coverage for small segments and accuracies near 0 or 1, which
  is exactly where a segment check needs it (Brown, Cai & DasGupta 2001).
* ROC AUC (binary): Hanley & McNeil (1982). One pass per segment; a bootstrap would cost a
  thousand re-sorts per segment per training run for an interval of about the same width at
  the segment sizes where the gate judges (tests/unit/training/test_segments.py checks both
  formulas on worked figures).
* regression: R² by the delta method, RMSE / MAE by the normal interval of the mean loss.

``f1_macro`` (a gate metric the quality job does not report) is added from scikit-learn without
an interval. The result is ``evaluation.json``'s ``segments`` object, which the gate
(:func:`lightship.registry.gate.decide`) and ``lightship models show`` read. Called by
:func:`lightship.training.run.train`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from lightship.errors import DataError
from lightship.quality import metrics as quality_metrics

MISSING = "(missing)"
# A column with more distinct values than this is an identifier or a measurement, not a segment.
MAX_SEGMENT_VALUES = 50


def parse_segments(value: Any) -> list[str]:
    """``"a,b"``, ``["a", "b"]`` or None (a hyperparameter, an option, a setting) to column names."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        names = [str(v) for v in value]
    else:  # a hyperparameter that JSON-decoded to a number or boolean is still a column name
        names = str(value).split(",")
    out = [n.strip() for n in names if n.strip()]
    if len(set(out)) != len(out):
        raise DataError(f"--segments {','.join(out)}: a column is named twice")
    return out


def check_segment_columns(frame: pd.DataFrame, target: str, columns: list[str]) -> None:
    """Refuse, in one line, a segment column the data does not have (or the target itself)."""
    for name in columns:
        if name == target:
            raise DataError(f"--segments {name}: the target cannot be a segment column")
        if name not in frame.columns:
            raise DataError(f"--segments {name}: no such column in the training data (columns: {', '.join(map(str, frame.columns))})")
        distinct = frame[name].nunique(dropna=True)
        if distinct > MAX_SEGMENT_VALUES:
            raise DataError(f"--segments {name}: {distinct} distinct values (at most {MAX_SEGMENT_VALUES}); "
                            "bin the column into a few groups in the data first")


def segment_labels(values: np.ndarray) -> np.ndarray:
    """Each row's segment as text: its value, or ``(missing)`` for NaN/None/blank."""
    series = pd.Series(values, dtype=object)
    missing = series.isna() | series.astype(str).str.strip().eq("")
    as_text = series.map(_text)
    return np.where(missing, MISSING, as_text).astype(object)


def _text(value: Any) -> str:
    # 1.0 and 1 are one segment whether the column was read as float or int.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def metrics_for(task: str, y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None,
                classes: np.ndarray | None, confidence: float) -> dict[str, Any]:
    """``{metric: {"value", "ci"}}`` on these rows (the quality job's definitions, plus f1_macro)."""
    if task == "regression":
        out = quality_metrics.regression(y_true, y_pred, confidence)
    else:
        assert proba is not None and classes is not None
        out = quality_metrics.classification(y_true, proba, list(classes), confidence)
        out.pop("calibration", None)
        out["f1_macro"] = {"value": float(skm.f1_score(y_true, y_pred, average="macro")) if len(y_true) else None, "ci": None}
    out.pop("rows", None)
    return out


def segment_metrics(
    task: str,
    columns: dict[str, np.ndarray],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    classes: np.ndarray | None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Per column, per value: rows, positives (binary) and every metric with its interval.

    ``columns`` maps each segment column to its holdout values, aligned with ``y_true``.
    Segments are listed by value, so the same data gives the same report.
    """
    by_column: dict[str, list[dict[str, Any]]] = {}
    for name, values in columns.items():
        labels = segment_labels(values)
        rows: list[dict[str, Any]] = []
        for value in sorted(set(labels.tolist())):
            mask = labels == value
            entry: dict[str, Any] = {"value": value, "rows": int(mask.sum())}
            if task == "classification" and classes is not None and len(classes) == 2:
                entry["positives"] = int(np.sum(y_true[mask] == classes[1]))
            entry["metrics"] = metrics_for(task, y_true[mask], y_pred[mask],
                                           proba[mask] if proba is not None else None, classes, confidence)
            rows.append(entry)
        by_column[name] = rows
    return {
        "columns": list(columns),
        "confidence": confidence,
        "holdout_rows": int(len(y_true)),
        "overall": metrics_for(task, y_true, y_pred, proba, classes, confidence),
        "by_column": by_column,
    }
