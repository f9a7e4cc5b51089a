"""A batch run's CloudWatch metrics: their names (:mod:`lightship.observability`) and their units, in one place.

:func:`run_metrics` gives the finalize step's figures keyed by the name constants; the finalize
handler (``lambdas/batch_finalize/handler.py``) emits each with its unit from :data:`UNITS`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lightship.observability import (
    DRIFTED_FEATURES,
    ESTIMATED_ACCURACY,
    ESTIMATED_ROC_AUC,
    FEATURE_PSI,
    MAX_PSI,
    ROWS_FLAGGED,
    ROWS_IN,
    ROWS_REJECTED,
    ROWS_SCORED,
)

UNITS: dict[str, MetricUnit] = {
    ROWS_IN: MetricUnit.Count,
    ROWS_SCORED: MetricUnit.Count,
    ROWS_REJECTED: MetricUnit.Count,
    ROWS_FLAGGED: MetricUnit.Count,
    MAX_PSI: MetricUnit.NoUnit,
    DRIFTED_FEATURES: MetricUnit.Count,
    ESTIMATED_ROC_AUC: MetricUnit.NoUnit,
    ESTIMATED_ACCURACY: MetricUnit.NoUnit,
    FEATURE_PSI: MetricUnit.NoUnit,  # per feature, emitted by the handler with a Feature dimension
}

# Which estimate (batch.estimate's keys) each estimated-quality metric reports.
ESTIMATES = {ESTIMATED_ROC_AUC: "roc_auc", ESTIMATED_ACCURACY: "accuracy"}


def run_metrics(rows_in: int, scored: int, rejected: int, flagged: int, report: Any | None,
                estimated: dict[str, Any] | None) -> dict[str, float]:
    """The run's figures by metric name: rows always (flagged: scored with a number outside the training
    range); drift when something was scored; estimates when made."""
    metrics: dict[str, float] = {ROWS_IN: rows_in, ROWS_SCORED: scored, ROWS_REJECTED: rejected, ROWS_FLAGGED: flagged}
    if report is not None:
        metrics.update({MAX_PSI: report.max_psi, DRIFTED_FEATURES: len(report.drifted)})
    for name, key in ESTIMATES.items():
        if estimated is not None and estimated.get(key) is not None:
            metrics[name] = float(estimated[key])
    return metrics
