"""Planning a run: list the day's input objects, quarantine the files that cannot be used,
and cut the rest into chunks of at most ``chunk_rows`` rows.

Parquet chunks follow row-group boundaries where they can (a scorer reads whole row
groups); a row group larger than ``chunk_rows`` is split by row range. CSV files are
cut by data-row ranges. A file with an unknown suffix, one that does not parse, or one
without the model's feature columns is copied to the quarantine prefix with its reason,
its rows (when they can be counted) counted as rejected, never silently dropped. The
plan is written to S3 as a JSON array, which the Distributed Map reads when the plan is
large (more than ``distributed_map_threshold`` chunks); a small plan travels inline.
"""

from __future__ import annotations

import time
from typing import Literal

from batch import layout
from batch.config import BatchConfig
from batch.events import Chunk, InputObject, PlanResult, RunContext
from batch.model import load_model
from batch.read import FileInfo, Format, UnreadableFile, format_of, inspect
from batch.s3io import copy, list_objects, put_json
from batch.validate import missing_columns
from lightship.bundle.schema import FeatureSchema
from lightship.s3uri import S3Uri


def plan(run: RunContext, config: BatchConfig) -> PlanResult:
    started = time.perf_counter()
    schema = load_model(run.model.model_data_url).schema
    objects: list[InputObject] = []
    chunks: list[Chunk] = []
    for info in list_objects(run.input_uri):
        obj, file_chunks = plan_object(info.uri, info.size, schema, config.chunk_rows, run.rejects_uri)
        objects.append(obj)
        chunks.extend(file_chunks)
    plan_uri = layout.plan_uri(run.report_uri, run.run_id)
    put_json(plan_uri, [c.model_dump() for c in chunks])
    put_json(objects_uri(run), [o.model_dump() for o in objects])
    mode: Literal["inline", "distributed"] = "distributed" if len(chunks) > config.distributed_map_threshold else "inline"
    return PlanResult(
        chunk_count=len(chunks),
        rows_planned=sum(c.rows for c in chunks),
        plan_uri=plan_uri,
        plan_key=S3Uri.parse(plan_uri).key,
        mode=mode,
        chunks=chunks if mode == "inline" else [],
        seconds=round(time.perf_counter() - started, 3),
    )


def objects_uri(run: RunContext) -> str:
    return f"{layout.run_prefix(run.report_uri, run.run_id)}objects.json"


def plan_object(uri: str, size: int, schema: FeatureSchema, chunk_rows: int, rejects_uri: str) -> tuple[InputObject, list[Chunk]]:
    fmt = format_of(uri)
    if fmt is None:
        return _quarantine(uri, size, None, "unsupported file type: use .csv or .parquet", rejects_uri), []
    try:
        info = inspect(uri, size, fmt)
    except UnreadableFile as exc:
        return _quarantine(uri, size, fmt, str(exc), rejects_uri), []
    missing = missing_columns(info.columns, schema)
    if missing:
        reason = f"wrong schema: missing feature columns {', '.join(missing)}"
        return _quarantine(uri, size, fmt, reason, rejects_uri, rows=info.rows), []
    return InputObject(uri=uri, size=size, format=fmt, rows=info.rows), cut_chunks(uri, info, chunk_rows)


def cut_chunks(uri: str, info: FileInfo, chunk_rows: int) -> list[Chunk]:
    """Ranges of at most ``chunk_rows`` rows covering the file exactly once, in order."""
    ranges: list[tuple[int, int, int, int]] = []  # first_row, rows, first group, stop group
    if info.format == "csv":
        ranges = [(s, min(chunk_rows, info.rows - s), s, min(s + chunk_rows, info.rows)) for s in range(0, info.rows, chunk_rows)]
    else:
        offset, current_start, current_rows, group_start = 0, 0, 0, 0
        for g, n in enumerate(info.row_groups):
            if n > chunk_rows:  # a row group too big for one chunk: flush, then split it by rows
                if current_rows:
                    ranges.append((current_start, current_rows, group_start, g))
                for s in range(0, n, chunk_rows):
                    ranges.append((offset + s, min(chunk_rows, n - s), g, g + 1))
                current_start, current_rows, group_start = offset + n, 0, g + 1
            elif current_rows + n > chunk_rows:
                ranges.append((current_start, current_rows, group_start, g))
                current_start, current_rows, group_start = offset, n, g
            else:
                current_rows += n
            offset += n
        if current_rows:
            ranges.append((current_start, current_rows, group_start, len(info.row_groups)))
    return [
        Chunk(chunk_id=layout.chunk_id(uri, i), uri=uri, format=info.format, start=a, stop=b, first_row=first, rows=rows)
        for i, (first, rows, a, b) in enumerate(ranges)
        if rows > 0
    ]


def _quarantine(uri: str, size: int, fmt: Format | None, reason: str, rejects_uri: str, rows: int | None = None) -> InputObject:
    target = layout.quarantine(rejects_uri, uri)
    copy(uri, target)
    return InputObject(
        uri=uri, size=size, format=fmt, rows=rows, status="quarantined", reason=reason,
        quarantine_uri=target, rejected_rows=rows or 0,
    )
