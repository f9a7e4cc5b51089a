"""Where quality data lives in the data bucket, and small S3 helpers (a client is passed in).

    labels/date=D/<file stem>-<content sha256[:12]>.parquet         accepted labels (the interface)
    labels/rejects/date=D/<same name>.parquet                      rejected rows with ``reject_reason``
    quality/reports/date=D/report.json, report.html                 the quality run's report

Label keys are named by the file's content, so putting the same file twice writes the same key
(idempotent), and the join reads only ``labels/date=*``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pandas as pd


def window_dates(date: str, days: int) -> list[str]:
    end = dt.date.fromisoformat(date)
    return [(end - dt.timedelta(days=i)).isoformat() for i in range(days - 1, -1, -1)]


def keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield str(obj["Key"])


def get(s3: Any, bucket: str, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def put(s3: Any, bucket: str, key: str, body: bytes, content_type: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def read_parquet(body: bytes, columns: list[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(body), columns=columns)


def labels_dated(prefix: str, date: str) -> str:
    return f"{prefix.strip('/')}/date={date}/"


def label_rejects_dated(prefix: str, date: str) -> str:
    return f"{prefix.strip('/')}/rejects/date={date}/"


def report_dated(prefix: str, date: str) -> str:
    return f"{prefix.strip('/')}/date={date}/"
