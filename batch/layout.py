"""Where a run's objects live in S3: one function per kind of key, so every step agrees.

For a date ``D`` (defaults from the settings' prefixes, in the data bucket)::

    {input}/date=D/...                              the day's CSV / Parquet files
    {output}/date=D/part-{chunk}.parquet            scored rows (rerun overwrites, stale parts removed)
    {rejects}/date=D/part-{chunk}.parquet           rejected rows with their reasons
    {rejects}/date=D/quarantine/{file}              files that could not be used, as they were
    {reports}/date=D/manifest.json|report.json|report.html
    {reports}/date=D/runs/{run_id}/plan.json        the plan (Distributed Map reads it)
    {reports}/date=D/runs/{run_id}/chunks/{chunk}.json   each chunk's result and drift sketch
    {reports}/date=D/runs/{run_id}/duplicates/{chunk}.json   rows of the chunk whose id an earlier row holds
"""

from __future__ import annotations

import hashlib
import re

from lightship.s3uri import S3Uri


def partition(date: str) -> str:
    return f"date={date}"


def input_uri(bucket: str, prefix: str, date: str) -> str:
    return str(S3Uri(bucket, prefix).join(partition(date))) + "/"


def dated(root: str, date: str) -> str:
    """``root`` (an s3:// prefix) with the date partition, ending in ``/``."""
    return str(S3Uri.parse(root).join(partition(date))) + "/"


def chunk_id(uri: str, index: int) -> str:
    """Deterministic: the same file and position give the same id, so a rerun overwrites its parts."""
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:48] or "file"
    digest = hashlib.sha1(uri.encode()).hexdigest()[:8]
    return f"{slug}-{digest}-{index:04d}"


def output_part(output_dated: str, chunk: str) -> str:
    return f"{output_dated}part-{chunk}.parquet"


def rejects_part(rejects_dated: str, chunk: str) -> str:
    return f"{rejects_dated}part-{chunk}.parquet"


def quarantine(rejects_dated: str, source_uri: str) -> str:
    return f"{rejects_dated}quarantine/{source_uri.rstrip('/').rsplit('/', 1)[-1]}"


def run_prefix(report_dated: str, run_id: str) -> str:
    return f"{report_dated}runs/{run_id}/"


def plan_uri(report_dated: str, run_id: str) -> str:
    return f"{run_prefix(report_dated, run_id)}plan.json"


def chunk_result(report_dated: str, run_id: str, chunk: str) -> str:
    return f"{run_prefix(report_dated, run_id)}chunks/{chunk}.json"


def duplicates(report_dated: str, run_id: str, chunk: str) -> str:
    return f"{run_prefix(report_dated, run_id)}duplicates/{chunk}.json"


def manifest(report_dated: str) -> str:
    return f"{report_dated}manifest.json"


def report_json(report_dated: str) -> str:
    return f"{report_dated}report.json"


def report_html(report_dated: str) -> str:
    return f"{report_dated}report.html"
