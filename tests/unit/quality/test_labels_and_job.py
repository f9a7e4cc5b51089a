"""Labels land with rejects-with-reasons; the quality run joins late labels, is idempotent, and puts metrics."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws
from sklearn import metrics as skm

from lightship import observability as names
from lightship.quality import labels, store
from lightship.quality.job import VersionInfo, run_quality
from lightship.settings import QualitySettings
from tests.unit.quality.conftest import calibrated_world, predictions_frame

BUCKET = "data"
QUALITY = QualitySettings(window_days=7, min_labels=100, tolerance=0.05)
INFO = VersionInfo(task="classification", classes=["0", "1"], holdout={"roc_auc": 0.83, "accuracy": 0.75},
                   calibration={"method": "platt", "a": 1.0, "b": 0.0, "positive_class": "1"})


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _capture(s3: Any, frame: pd.DataFrame, date: str, version: int = 1) -> None:
    lines = [json.dumps({"prediction_id": r.prediction_id, "request_id": "x", "role": "live", "at": date,
                         "model_version": version, "features": {}, "prediction": r.prediction,
                         "probabilities": [r.probability_0, r.probability_1]}) for r in frame.itertuples()]
    s3.put_object(Bucket=BUCKET, Key=f"capture/model_version={version}/date={date}/000000-a.jsonl", Body="\n".join(lines).encode())


def _put(s3: Any, path: Path, date: str, known: set[str] | None) -> labels.LabelsResult:
    return labels.put_labels(path, s3=s3, bucket=BUCKET, prefix="labels", date=date, id_column="id", label_column="label",
                             task="classification", classes=["0", "1"], known_ids=known, window_days=7)


def test_labels_put_rejects_unknown_duplicate_foreign_and_unparsable_rows_with_reasons(s3: Any, tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("id,label\nr:0,1\nr:1,0\nr:1,1\nzz,1\nr:2,maybe\n,1\nr:3,\n")
    result = _put(s3, path, "2026-01-05", known={"r:0", "r:1", "r:2", "r:3"})
    assert result.rows == 7 and result.accepted == 2
    assert result.rejected_by_reason == {
        "duplicate id (an earlier row of this file has it)": 1, "label not a trained class (0, 1)": 1,
        "missing id": 1, "missing label": 1, "unknown id (no prediction in the last 7 days)": 1}
    rejects = pd.read_parquet(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=result.rejects_key)["Body"].read()))
    assert len(rejects) == 5 and set(rejects.columns) == {"id", "label", "reject_reason"}
    # The same file again: the same key, nothing rejected as "already labelled" by itself.
    assert _put(s3, path, "2026-01-05", known={"r:0", "r:1", "r:2", "r:3"}).labels_key == result.labels_key
    again = tmp_path / "again.csv"
    again.write_text("id,label\nr:0,0\n")
    later = _put(s3, again, "2026-01-06", known={"r:0"})
    assert later.rejected_by_reason == {f"duplicate id (already labelled in {result.labels_key})": 1}


def test_a_file_without_the_label_column_is_refused_in_one_line(tmp_path: Path, s3: Any) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,target\na,1\n")
    with pytest.raises(labels.LabelsError, match="no 'label' column"):
        _put(s3, path, "2026-01-05", known=None)


def test_quality_run_joins_late_labels_equals_sklearn_and_a_rerun_writes_the_same_report(s3: Any, tmp_path: Path) -> None:
    scores, truth = calibrated_world(1200, seed=7)
    frame = predictions_frame(scores, date="2026-01-01")
    _capture(s3, frame, "2026-01-01")
    # labels for the first 800 arrive four days later; the rest have none yet
    path = tmp_path / "late.csv"
    pd.DataFrame({"id": frame["prediction_id"][:800], "label": truth[:800]}).to_csv(path, index=False)
    assert _put(s3, path, "2026-01-05", known=set(frame["prediction_id"])).accepted == 800
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    kwargs = dict(s3=s3, cloudwatch=cloudwatch, bucket=BUCKET, capture_prefix="capture", batch_prefix="batch/output",
                  batch_id_column=None, quality=QUALITY, info=lambda v: INFO, roles={1: "live"},
                  now=dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC))
    report = run_quality("2026-01-05", **kwargs)
    [version] = report["versions"]
    assert (version["labeled"], version["unlabeled"]) == (800, 400)
    assert version["realized"]["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(truth[:800], scores[:800]), abs=1e-12)
    assert version["estimated"]["unlabeled"]["roc_auc"] == pytest.approx(skm.roc_auc_score(truth[800:], scores[800:]), abs=0.05)
    first = s3.get_object(Bucket=BUCKET, Key="quality/reports/date=2026-01-05/report.json")["Body"].read()
    run_quality("2026-01-05", **kwargs)
    assert s3.get_object(Bucket=BUCKET, Key="quality/reports/date=2026-01-05/report.json")["Body"].read() == first
    html = s3.get_object(Bucket=BUCKET, Key="quality/reports/date=2026-01-05/report.html")["Body"].read().decode()
    assert "<svg" in html and "<script" not in html
    # out of the window (labels dated 01-05, predictions 01-01; a 2-day window from 01-05 holds no prediction)
    assert run_quality("2026-01-05", **{**kwargs, "quality": QUALITY.model_copy(update={"window_days": 2})})["joined"] == 0
    stats = cloudwatch.get_metric_statistics(
        Namespace=names.NAMESPACE, MetricName=names.REALIZED_ROC_AUC, Statistics=["Maximum"], Period=3600,
        StartTime=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), EndTime=dt.datetime(2026, 1, 6, tzinfo=dt.UTC),
        Dimensions=[{"Name": "service", "Value": "quality"}, {"Name": "Role", "Value": "live"}, {"Name": "ModelVersion", "Value": "1"}])
    assert stats["Datapoints"]


def test_labels_that_flip_for_a_segment_breach_while_the_estimate_stays_put(s3: Any, tmp_path: Path) -> None:
    scores, truth = calibrated_world(1000, seed=8, flip_share=0.3)
    frame = predictions_frame(scores, date="2026-01-02")
    _capture(s3, frame, "2026-01-02")
    path = tmp_path / "flipped.csv"
    pd.DataFrame({"id": frame["prediction_id"][:600], "label": truth[:600]}).to_csv(path, index=False)
    _put(s3, path, "2026-01-03", known=None)
    report = run_quality("2026-01-03", s3=s3, cloudwatch=None, bucket=BUCKET, capture_prefix="capture",
                         batch_prefix="batch/output", batch_id_column=None, quality=QUALITY, info=lambda v: INFO, roles={1: "live"})
    [version] = report["versions"]
    assert version["breach"] and report["breach"] and report["alert"]
    assert not version["estimated_breach"]  # CBPE cannot see concept drift (docs/quality.md)


def test_window_dates_run_oldest_first() -> None:
    assert store.window_dates("2026-03-01", 3) == ["2026-02-27", "2026-02-28", "2026-03-01"]
