"""Gathering evidence from S3 and CloudWatch (moto in process): which manifests, reports and metrics belong to a version."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lightship import observability as names
from lightship.checklist.evidence import _quality, batch_runs, serving_figures

BUCKET = "data"


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3, boto3.client("cloudwatch", region_name="us-east-1")


def _manifest(s3: Any, date: str, version: int, rows: dict[str, Any], drift: dict[str, Any] | None) -> None:
    body = {"date": date, "status": "complete", "model": {"version": version}, "rows": rows, "quarantined": [],
            "report": {"json": f"s3://{BUCKET}/batch/reports/date={date}/report.json"}, "drift": drift}
    s3.put_object(Bucket=BUCKET, Key=f"batch/reports/date={date}/manifest.json", Body=json.dumps(body).encode())
    # A run's working files sit beside it and are not manifests.
    s3.put_object(Bucket=BUCKET, Key=f"batch/reports/date={date}/runs/r1/plan.json", Body=b"{}")


def test_batch_runs_are_the_versions_manifests_newest_first(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    _manifest(s3, "2026-11-29", 2, {"in": 10, "scored": 10, "rejected": 0}, None)
    _manifest(s3, "2026-11-30", 3, {"in": 100, "scored": 95, "rejected": 5, "rejected_by_reason": {"tenure: missing": 5}},
              {"alert": False, "drifted_features": [], "max_psi": 0.01})
    _manifest(s3, "2026-12-01", 3, {"in": 50, "scored": 50, "rejected": 0}, None)
    runs = batch_runs(s3, BUCKET, "batch/reports", 3)
    assert [r.date for r in runs] == ["2026-12-01", "2026-11-30"]
    assert runs[1].rejected_by_reason == {"tenure: missing": 5} and runs[1].rows_lost == 0
    assert runs[1].manifest_uri == f"s3://{BUCKET}/batch/reports/date=2026-11-30/manifest.json"
    assert batch_runs(s3, BUCKET, "batch/reports", 9) == []


def test_quality_evidence_is_the_newest_report_naming_the_version(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    for date, versions in (("2026-11-01", [3]), ("2026-11-02", [2, 3]), ("2026-11-03", [2])):
        report = {"date": date, "versions": [{"version": v} for v in versions]}
        s3.put_object(Bucket=BUCKET, Key=f"quality/reports/date={date}/report.json", Body=json.dumps(report).encode())
    found = _quality(s3, BUCKET, "quality/reports", 3)
    assert found["quality_report"]["date"] == "2026-11-02"
    assert found["quality_report_uri"] == f"s3://{BUCKET}/quality/reports/date=2026-11-02/report.json"
    assert _quality(s3, BUCKET, "quality/reports", 7) == {"quality_report": None, "quality_report_uri": None}


def test_serving_figures_sum_the_versions_live_and_candidate_series_only(aws: tuple[Any, Any]) -> None:
    _, cloudwatch = aws
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    def put(version: int, role: str, metric: str, values: list[float]) -> None:
        dims = [{"Name": "service", "Value": names.SERVICE_SERVING}, {"Name": names.DIMENSION_ROLE, "Value": role},
                {"Name": names.DIMENSION_MODEL_VERSION, "Value": str(version)}]
        cloudwatch.put_metric_data(Namespace=names.NAMESPACE, MetricData=[
            {"MetricName": metric, "Dimensions": dims, "Timestamp": now, "Values": values, "Counts": [1.0] * len(values)}])

    assert serving_figures(cloudwatch, 3) is None  # no requests yet
    put(3, names.ROLE_LIVE, names.REQUESTS, [1, 1, 1])
    put(3, names.ROLE_CANDIDATE, names.REQUESTS, [1])
    put(3, names.ROLE_LIVE, names.ERRORS_4XX, [1, 0, 0])
    put(3, names.ROLE_LIVE, names.LATENCY_MS, [2.0, 4.0, 12.0])
    put(4, names.ROLE_LIVE, names.REQUESTS, [1] * 10)  # another version's traffic is not this one's
    figures = serving_figures(cloudwatch, 3)
    assert figures is not None
    assert (figures.requests, figures.errors_4xx, figures.errors_5xx) == (4, 1, 0)
    assert figures.latency_avg_ms == pytest.approx(6.0) and figures.latency_max_ms == 12.0
