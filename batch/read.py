"""Reading the input files of a run from S3: inspecting a file for the plan (its columns, its
logical rows and where they start, the ids when the run has an id column) and reading one
chunk's rows for scoring. Every read asks for the version the plan pinned (:class:`Pin`).

Parquet is read one row group at a time through ranged GETs (:class:`lightship.s3io.S3File`),
so a chunk scorer holds one chunk, never the file. A CSV is inspected in one streamed pass
that pandas parses (the row count, and the ids) while :class:`batch.csv_rows.RowScanner`
notes where the rows of each chunk begin in bytes; a chunk then fetches its header and
its own byte range and parses only those, so a chunk reads exactly the logical rows the
plan counted for it, blank lines, quoted line breaks, CRLF or a BOM notwithstanding.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from batch.csv_rows import CsvRows, RowScanner
from lightship.errors import InputChanged
from lightship.file_formats import Format
from lightship.s3io import Pin, S3File, get_pinned

STREAM_BLOCK = 8 * 1024 * 1024  # bytes the row scanner sees at a time


class UnreadableFile(Exception):
    """The file cannot be parsed in its format; its message says why, and ``rows`` how many rows
    it holds when they could be counted (they count as rejected)."""

    def __init__(self, message: str, rows: int | None = None) -> None:
        super().__init__(message)
        self.rows = rows


@dataclass(frozen=True)
class FileInfo:
    format: Format
    columns: list[str]
    rows: int
    row_groups: list[int]  # rows per row group (parquet); one entry for csv
    csv: CsvRows | None = None  # where the chunks' rows begin (csv)
    ids: pd.Series | None = None  # the id column, in row order, when the run has one and the file holds it


def inspect(s3: Any, version: Pin, fmt: Format, chunk_rows: int, id_column: str | None = None,
            count_chunk: int = 200_000) -> FileInfo:
    try:
        if fmt == "parquet":
            return _inspect_parquet(s3, version, id_column)
        return _inspect_csv(s3, version, chunk_rows, id_column, count_chunk)
    except (UnreadableFile, InputChanged):
        raise
    except Exception as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UnreadableFile(f"cannot be parsed as {fmt} ({reason})") from exc


def _inspect_parquet(s3: Any, version: Pin, id_column: str | None) -> FileInfo:
    handle = pq.ParquetFile(S3File(s3, version))
    meta = handle.metadata
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    columns = list(meta.schema.to_arrow_schema().names)
    ids = None
    if id_column is not None and id_column in columns:
        parts = [handle.read_row_group(i, columns=[id_column]).column(0).to_pandas() for i in range(meta.num_row_groups)]
        ids = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=object)
    return FileInfo("parquet", columns, meta.num_rows, groups, ids=ids)


def _inspect_csv(s3: Any, version: Pin, chunk_rows: int, id_column: str | None, count_chunk: int) -> FileInfo:
    columns = [str(c) for c in pd.read_csv(get_pinned(s3, version), nrows=0).columns]
    if not columns:
        raise UnreadableFile("no header row")
    use = id_column if id_column is not None and id_column in columns else None
    scanner = RowScanner(chunk_rows)
    body = io.BufferedReader(_Tee(get_pinned(s3, version), scanner.feed), buffer_size=STREAM_BLOCK)
    rows, parts = 0, []
    for part in pd.read_csv(body, usecols=[use if use is not None else 0], chunksize=count_chunk, dtype=str):
        rows += len(part)
        if use is not None:
            parts.append(part[use])
    while body.read(STREAM_BLOCK):  # whatever pandas left unread still passes the scanner
        pass
    layout = scanner.finish(version.size)
    if layout.rows != rows:
        raise UnreadableFile(
            f"rows cannot be delimited safely ({rows} rows parsed, {layout.rows} found by quotes and line ends): "
            "a double quote inside an unquoted field? Quote such fields (RFC 4180)",
            rows=rows,
        )
    ids = (pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=object)) if use is not None else None
    return FileInfo("csv", columns, rows, [rows], csv=layout, ids=ids)


class _Tee(io.RawIOBase):
    """A stream that hands every block it reads to ``sink`` as well: one download, two readers."""

    def __init__(self, body: Any, sink: Callable[[bytes], None]) -> None:
        self.body = body
        self.sink = sink

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.body.read(len(buffer))
        if data:
            self.sink(data)
        buffer[: len(data)] = data
        return len(data)


def read_csv_chunk(s3: Any, version: Pin, header_stop: int, start: int, stop: int, id_column: str | None = None) -> pd.DataFrame:
    """The rows in bytes ``[start, stop)`` of a CSV, parsed with its header (bytes ``[0, header_stop)``),
    as read (no type coercion; the id column as text, so ``007`` stays ``007``)."""
    header = get_pinned(s3, version, (0, header_stop)).read() if header_stop > 0 else b""
    body = get_pinned(s3, version, (start, stop)).read() if stop > start else b""
    dtype = {id_column: str} if id_column is not None else None
    frame = pd.read_csv(io.BytesIO(header + body), dtype=dtype, keep_default_na=True)
    return frame.reset_index(drop=True)


def read_parquet_rows(s3: Any, version: Pin, first_row: int, rows: int) -> pd.DataFrame:
    """Rows ``[first_row, first_row + rows)`` of a Parquet file, as read."""
    parts = list(iter_parquet_range(s3, version, first_row, rows))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)


def iter_parquet_range(s3: Any, version: Pin, first_row: int, rows: int) -> Iterator[pd.DataFrame]:
    """The row groups overlapping the range, read one at a time and sliced to it."""
    handle = pq.ParquetFile(S3File(s3, version))
    meta = handle.metadata
    start, stop, offset = first_row, first_row + rows, 0
    for i in range(meta.num_row_groups):
        n = meta.row_group(i).num_rows
        lo, hi = max(start, offset), min(stop, offset + n)
        if lo < hi:
            table = handle.read_row_group(i)
            if lo > offset or hi < offset + n:
                table = table.slice(lo - offset, hi - lo)
            yield table.to_pandas()
        offset += n
        if offset >= stop:
            break
