"""Reading input files from S3, by behaviour: what inspecting a file reports, and which rows a range reads,
for CSV and Parquet (several row groups), and a clear reason for a file that does not parse."""

from __future__ import annotations

import pandas as pd
import pytest

from batch.read import UnreadableFile, inspect, read_csv_chunk, read_parquet_rows
from lightship.clients import cached_client
from lightship.file_formats import format_of
from lightship.s3io import pin
from tests.support.batch_world import BatchWorld, batch_world_fixture, bundle_targz  # noqa: F401 - fixtures


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"row_id": [f"r{i:04d}" for i in range(rows)], "x": [i * 0.5 for i in range(rows)], "plan": ["a", "b"] * (rows // 2)})


@pytest.mark.parametrize(("name", "expected"), [("a.csv", "csv"), ("A.CSV", "csv"), ("b.parquet", "parquet"), ("c.pq", "parquet"), ("d.json", None), ("csv", None)])
def test_format_follows_the_file_suffix(name: str, expected: str | None) -> None:
    assert format_of(f"s3://bucket/day/{name}") == expected


def test_inspecting_a_csv_counts_its_rows_and_names_its_columns(batch_world: BatchWorld) -> None:
    uri = batch_world.put_frame("a.csv", _frame(1000))

    info = inspect(cached_client("s3"), pin(cached_client("s3"), uri), "csv", chunk_rows=250, count_chunk=300)

    assert (info.format, info.columns, info.rows, info.row_groups) == ("csv", ["row_id", "x", "plan"], 1000, [1000])
    assert info.csv is not None and [r[:2] for r in info.csv.ranges()] == [(0, 250), (250, 250), (500, 250), (750, 250)]


def test_inspecting_a_parquet_file_reads_its_row_groups_from_the_footer(batch_world: BatchWorld) -> None:
    uri = batch_world.put_frame("a.parquet", _frame(1000), row_group_size=300)

    info = inspect(cached_client("s3"), pin(cached_client("s3"), uri), "parquet", chunk_rows=300)

    assert (info.format, info.columns, info.rows, info.row_groups) == ("parquet", ["row_id", "x", "plan"], 1000, [300, 300, 300, 100])


@pytest.mark.parametrize(("first", "rows"), [(0, 1000), (0, 300), (250, 100), (299, 2), (550, 450), (900, 100), (990, 50)])
def test_a_parquet_range_reads_exactly_those_rows_in_order(batch_world: BatchWorld, first: int, rows: int) -> None:
    frame = _frame(1000)
    uri = batch_world.put_frame("a.parquet", frame, row_group_size=300)

    got = read_parquet_rows(cached_client("s3"), pin(cached_client("s3"), uri), first, rows)

    expected = frame.iloc[first : first + rows]
    assert list(got["row_id"]) == list(expected["row_id"])
    assert list(got["x"]) == list(expected["x"]) and list(got.columns) == ["row_id", "x", "plan"]


@pytest.mark.parametrize("chunk_rows", [1000, 300, 7])
def test_the_csv_byte_ranges_the_plan_finds_read_every_row_once_in_order(batch_world: BatchWorld, chunk_rows: int) -> None:
    frame = _frame(1000)
    uri = batch_world.put_frame("a.csv", frame)
    version = pin(cached_client("s3"), uri)
    info = inspect(cached_client("s3"), version, "csv", chunk_rows=chunk_rows)
    assert info.csv is not None

    parts = [read_csv_chunk(cached_client("s3"), version, info.csv.data_start, start, stop) for _, _, start, stop in info.csv.ranges()]

    assert [len(p) for p in parts] == [rows for _, rows, _, _ in info.csv.ranges()]
    got = pd.concat(parts, ignore_index=True)
    assert list(got["row_id"]) == list(frame["row_id"]) and list(got["x"]) == list(frame["x"])


def test_a_range_past_the_end_of_a_parquet_file_reads_nothing(batch_world: BatchWorld) -> None:
    uri = batch_world.put_frame("a.parquet", _frame(100), row_group_size=50)
    assert read_parquet_rows(cached_client("s3"), pin(cached_client("s3"), uri), 100, 10).empty


@pytest.mark.parametrize(
    ("name", "body", "fmt", "reason"),
    [
        ("bad.parquet", b"this is not parquet at all", "parquet", "cannot be parsed as parquet"),
        ("empty.csv", b"", "csv", "cannot be parsed as csv"),
        ("blank.csv", b"\n\n\n", "csv", "cannot be parsed as csv"),
    ],
)
def test_a_file_that_does_not_parse_is_unreadable_with_the_reason(batch_world: BatchWorld, name: str, body: bytes, fmt: str, reason: str) -> None:
    uri = batch_world.put(name, body)
    with pytest.raises(UnreadableFile, match=reason):
        inspect(cached_client("s3"), pin(cached_client("s3"), uri), fmt, chunk_rows=100)  # type: ignore[arg-type]
