"""Reading the input files of a run from S3: inspecting a file (its format, columns and row
count, without reading its data) for the plan, and reading one chunk's rows for scoring.

Parquet is read one row group at a time through ranged GETs (:class:`batch.s3io.S3File`),
so a chunk scorer holds one chunk, never the file; CSV is streamed and parsed with pandas.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import pyarrow.parquet as pq

from batch.s3io import S3File, s3
from lightship.s3uri import S3Uri

Format = Literal["csv", "parquet"]
SUFFIXES: dict[str, Format] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class UnreadableFile(Exception):
    """The file cannot be parsed in its format; its message says why."""


@dataclass(frozen=True)
class FileInfo:
    format: Format
    columns: list[str]
    rows: int
    row_groups: list[int]  # rows per row group (parquet); one entry for csv


def format_of(uri: str) -> Format | None:
    name = uri.rsplit("/", 1)[-1].lower()
    for suffix, fmt in SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


def inspect(uri: str, size: int, fmt: Format, count_chunk: int = 200_000) -> FileInfo:
    try:
        if fmt == "parquet":
            meta = pq.ParquetFile(S3File(uri, size)).metadata
            groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            return FileInfo("parquet", list(meta.schema.to_arrow_schema().names), meta.num_rows, groups)
        columns = list(pd.read_csv(_body(uri), nrows=0).columns)
        if not columns:
            raise UnreadableFile("no header row")
        rows = 0
        for part in pd.read_csv(_body(uri), usecols=[0], chunksize=count_chunk, dtype=str):
            rows += len(part)
        return FileInfo("csv", [str(c) for c in columns], rows, [rows])
    except UnreadableFile:
        raise
    except Exception as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UnreadableFile(f"cannot be parsed as {fmt} ({reason})") from exc


def read_rows(uri: str, fmt: Format, first_row: int, rows: int, size: int | None = None) -> pd.DataFrame:
    """Rows ``[first_row, first_row + rows)`` of the file's data, as read (no type coercion)."""
    if fmt == "csv":
        frame = pd.read_csv(_body(uri), skiprows=range(1, first_row + 1), nrows=rows, dtype=None, keep_default_na=True)
        return frame.reset_index(drop=True)
    parts = list(iter_parquet_range(uri, first_row, rows, size))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)


def iter_parquet_range(uri: str, first_row: int, rows: int, size: int | None = None) -> Iterator[pd.DataFrame]:
    """The row groups overlapping the range, read one at a time and sliced to it."""
    handle = pq.ParquetFile(S3File(uri, size))
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


def _body(uri: str) -> Any:
    where = S3Uri.parse(uri)
    return s3().get_object(Bucket=where.bucket, Key=where.key)["Body"]
