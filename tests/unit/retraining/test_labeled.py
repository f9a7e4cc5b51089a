"""A retraining run reads the window's predictions with their inputs under the ids the quality job joins
labels on: capture lines (the echoed id, or ``<request id>:<index>``) and batch score rows (the id
column, or ``<source_uri>:<source_row>``). Written out here, not taken from the code."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from lightship.quality.predictions import read_window
from lightship.retraining.labeled import read_inputs

BUCKET = "data"
DATES = ["2026-01-01", "2026-01-02"]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _window(s3: Any) -> None:
    lines = [
        {"prediction_id": "cust-7", "request_id": "req-a", "features": {"tenure": 3.0, "plan": "pro"}, "prediction": "1",
         "probabilities": [0.2, 0.8]},
        {"request_id": "req-a", "features": {"tenure": 9.0, "plan": "basic"}, "prediction": "0", "probabilities": [0.9, 0.1]},
    ]
    s3.put_object(Bucket=BUCKET, Key="capture/model_version=2/date=2026-01-01/000000-a.jsonl",
                  Body="\n".join(json.dumps(line) for line in lines).encode())
    s3.put_object(Bucket=BUCKET, Key="capture/model_version=2/date=2025-12-01/000000-a.jsonl",  # outside the window
                  Body=json.dumps({**lines[0], "prediction_id": "old"}).encode())
    scores = pd.DataFrame({"customer": ["c-1", "c-2"], "tenure": [1.0, 2.0], "plan": ["pro", "pro"], "prediction": ["0", "1"],
                           "probability_0": [0.7, 0.4], "probability_1": [0.3, 0.6], "model_version": [2, 2],
                           "source_uri": ["s3://data/batch/input/date=2026-01-02/day.csv"] * 2, "source_row": [0, 1]})
    buffer = io.BytesIO()
    scores.to_parquet(buffer)
    s3.put_object(Bucket=BUCKET, Key="batch/output/date=2026-01-02/part-0.parquet", Body=buffer.getvalue())


@pytest.mark.parametrize(("id_column", "batch_ids"), [
    ("customer", ["c-1", "c-2"]),
    (None, ["s3://data/batch/input/date=2026-01-02/day.csv:0", "s3://data/batch/input/date=2026-01-02/day.csv:1"]),
])
def test_retraining_reads_each_prediction_with_its_inputs_under_the_quality_jobs_id(s3: Any, id_column: str | None,
                                                                                     batch_ids: list[str]) -> None:
    _window(s3)
    inputs = read_inputs(s3, BUCKET, capture_prefix="capture", batch_prefix="batch/output", dates=DATES, id_column=id_column,
                         features=["tenure", "plan"])
    predictions = read_window(s3, BUCKET, capture_prefix="capture", batch_prefix="batch/output", dates=DATES, id_column=id_column,
                              classes_for=lambda version: ["0", "1"])

    expected = ["cust-7", "req-a:1", *batch_ids]
    assert inputs["prediction_id"].tolist() == expected == predictions["prediction_id"].tolist()
    assert inputs["tenure"].tolist() == [3.0, 9.0, 1.0, 2.0] and inputs["plan"].tolist() == ["pro", "basic", "pro", "pro"]
    assert inputs["source"].tolist() == ["capture", "capture", "batch", "batch"]
