"""The finalize step's metrics go out under the names the alarms and dashboard read, each with a unit."""

from __future__ import annotations

from types import SimpleNamespace

from aws_lambda_powertools.metrics import MetricUnit

from batch.metrics import UNITS, run_metrics

# As CloudWatch shows them (docs/batch.md, the monitoring stack): stated here, not taken from the code.
ROW_METRICS = {"RowsIn": 10, "RowsScored": 7, "RowsRejected": 3, "RowsFlagged": 2}


def test_every_metric_of_a_run_has_its_published_name_and_a_unit() -> None:
    report = SimpleNamespace(max_psi=0.31, drifted=["age", "plan"])
    metrics = run_metrics(10, 7, 3, 2, report, {"roc_auc": 0.8, "accuracy": 0.75})
    assert metrics == {**ROW_METRICS, "MaxPsi": 0.31, "DriftedFeatures": 2, "EstimatedRocAuc": 0.8, "EstimatedAccuracy": 0.75}
    assert {name: UNITS[name] for name in metrics} == {
        "RowsIn": MetricUnit.Count, "RowsScored": MetricUnit.Count, "RowsRejected": MetricUnit.Count, "RowsFlagged": MetricUnit.Count,
        "MaxPsi": MetricUnit.NoUnit, "DriftedFeatures": MetricUnit.Count,
        "EstimatedRocAuc": MetricUnit.NoUnit, "EstimatedAccuracy": MetricUnit.NoUnit,
    }
    assert UNITS["FeaturePsi"] is MetricUnit.NoUnit


def test_a_run_without_scores_or_estimates_reports_its_rows_only() -> None:
    assert run_metrics(10, 7, 3, 2, None, None) == ROW_METRICS
    assert run_metrics(10, 7, 3, 2, None, {"roc_auc": None, "accuracy": 0.5}) == {**ROW_METRICS, "EstimatedAccuracy": 0.5}
