"""Planning a run: list the day's input objects, pin each one's version, quarantine the files
that cannot be used, and cut the rest into chunks of at most ``chunk_rows`` logical rows.

Parquet chunks follow row-group boundaries where they can (a scorer reads whole row
groups); a row group larger than ``chunk_rows`` is split by row range. A CSV is cut where
its logical rows begin, in bytes (:mod:`batch.csv_rows`), so each chunk reads exactly its
rows. A file with an unknown suffix, one that does not parse, or one without the model's
feature columns (or the run's id column), or with a column named like one the scores write
(``prediction``, ``source_row``...: :func:`lightship.bundle.row_contract.reserved_columns`), is copied to the quarantine prefix with its
reason, its rows (when they can be counted) counted as rejected, never silently dropped.

Every object is pinned (:class:`lightship.s3io.Pin`): its version id, or its ETag where the
bucket keeps no versions, goes into the plan, and every read of the run asks for it.
Under an id column the plan reads the day's ids once: each chunk gets the hash of its ids
and the list of its rows whose id an earlier row holds (:mod:`batch.identity`).

The plan is written to S3 as a JSON array, which the Distributed Map reads when the plan is
large (more than ``distributed_map_threshold`` chunks); a small plan travels inline.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from botocore.exceptions import ClientError

from batch import identity, layout
from batch.config import BatchConfig
from batch.events import Chunk, InputObject, PlanResult, RunContext
from batch.model import load_model
from batch.read import FileInfo, UnreadableFile, inspect
from batch.validate import missing_columns
from lightship.bundle.row_contract import RESERVED, reserved_columns
from lightship.bundle.schema import FeatureSchema
from lightship.file_formats import Format, format_of
from lightship.s3io import Pin, copy, list_objects, pin, put_json
from lightship.s3uri import S3Uri


def plan(s3: Any, run: RunContext, config: BatchConfig) -> PlanResult:
    started = time.perf_counter()
    schema = load_model(s3, run.model.model_data_url).schema
    objects: list[InputObject] = []
    chunks: list[Chunk] = []
    ids: list[tuple[list[Chunk], FileInfo]] = []
    for listed in list_objects(s3, run.input_uri):
        try:
            version = pin(s3, listed.uri)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                continue  # deleted between the listing and now: not part of this run
            raise
        obj, file_chunks, info = plan_object(s3, version, schema, config.chunk_rows, run.rejects_uri, run.id_column)
        objects.append(obj)
        chunks.extend(file_chunks)
        if info is not None and info.ids is not None:
            ids.append((file_chunks, info))
    if run.id_column is not None:
        _mark_duplicates(s3, run, ids)
    plan_uri = layout.plan_uri(run.report_uri, run.run_id)
    put_json(s3, plan_uri, [c.model_dump() for c in chunks])
    put_json(s3, objects_uri(run), [o.model_dump() for o in objects])
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


def plan_object(
    s3: Any, version: Pin, schema: FeatureSchema, chunk_rows: int, rejects_uri: str, id_column: str | None = None
) -> tuple[InputObject, list[Chunk], FileInfo | None]:
    fmt = format_of(version.uri)
    if fmt is None:
        return _quarantine(s3, version, None, "unsupported file type: use .csv or .parquet", rejects_uri), [], None
    try:
        info = inspect(s3, version, fmt, chunk_rows, id_column)
    except UnreadableFile as exc:
        return _quarantine(s3, version, fmt, str(exc), rejects_uri, rows=exc.rows), [], None
    missing = missing_columns(info.columns, schema)
    if missing:
        reason = f"wrong schema: missing feature columns {', '.join(missing)}"
        return _quarantine(s3, version, fmt, reason, rejects_uri, rows=info.rows), [], None
    reserved = reserved_columns(info.columns)
    if reserved:
        reason = f"wrong schema: column {', '.join(reserved)} is {RESERVED}"
        return _quarantine(s3, version, fmt, reason, rejects_uri, rows=info.rows), [], None
    if id_column is not None and id_column not in info.columns:
        reason = f"wrong schema: missing id column {id_column} (batch.id_column)"
        return _quarantine(s3, version, fmt, reason, rejects_uri, rows=info.rows), [], None
    obj = InputObject(uri=version.uri, size=version.size, version_id=version.version_id, etag=version.etag,
                      format=fmt, rows=info.rows)
    return obj, cut_chunks(version, info, chunk_rows), info


def cut_chunks(version: Pin, info: FileInfo, chunk_rows: int) -> list[Chunk]:
    """Ranges of at most ``chunk_rows`` rows covering the file exactly once, in order."""
    ranges: list[tuple[int, int, int, int]] = []  # first_row, rows, start, stop (bytes for csv, row groups for parquet)
    header_stop = 0
    if info.format == "csv":
        assert info.csv is not None, "a CSV's FileInfo carries its row layout"
        ranges = info.csv.ranges()
        header_stop = info.csv.data_start
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
        Chunk(chunk_id=layout.chunk_id(version.uri, i), uri=version.uri, format=info.format, start=a, stop=b,
              first_row=first, rows=rows, size=version.size, version_id=version.version_id, etag=version.etag,
              header_stop=header_stop,
              id_hash=identity.id_hash(info.ids.iloc[first : first + rows]) if info.ids is not None else None)
        for i, (first, rows, a, b) in enumerate(ranges)
        if rows > 0
    ]


def _mark_duplicates(s3: Any, run: RunContext, files: list[tuple[list[Chunk], FileInfo]]) -> None:
    """Give each chunk the rows whose id an earlier row of the run holds (written to S3: the
    list may be long, the state carries only its length)."""
    later = identity.later_duplicates([info.ids for _, info in files if info.ids is not None])
    for (file_chunks, _), rows in zip(files, later, strict=True):
        for chunk in file_chunks:
            mine = rows[(rows >= chunk.first_row) & (rows < chunk.first_row + chunk.rows)]
            if len(mine):
                chunk.duplicates = len(mine)
                put_json(s3, layout.duplicates(run.report_uri, run.run_id, chunk.chunk_id), [int(r) for r in mine])


def _quarantine(s3: Any, version: Pin, fmt: Format | None, reason: str, rejects_uri: str, rows: int | None = None) -> InputObject:
    target = layout.quarantine(rejects_uri, version.uri)
    copy(s3, version, target)
    return InputObject(
        uri=version.uri, size=version.size, version_id=version.version_id, etag=version.etag, format=fmt, rows=rows,
        status="quarantined", reason=reason, quarantine_uri=target, rejected_rows=rows or 0,
    )
