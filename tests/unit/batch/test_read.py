"""Reading input files from S3, by behaviour: what inspecting a file reports, and which rows a range reads,
for CSV and Parquet (several row groups), and a clear reason for a file that does not parse."""

from __future__ import annotations

import pandas as pd
import pytest

from batch.read import UnreadableFile, format_of, inspect, read_rows
from tests.support.batch_world import BatchWorld, batch_world_fixture, bundle_targz  # noqa: F401 - fixtures


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"row_id": [f"r{i:04d}" for i in range(rows)], "x": [i * 0.5 for i in range(rows)], "plan": ["a", "b"] * (rows // 2)})


def _size(world: BatchWorld, uri: str) -> int:
    from lightship.clients import cached_client

    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return int(cached_client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"])


@pytest.mark.parametrize(("name", "expected"), [("a.csv", "csv"), ("A.CSV", "csv"), ("b.parquet", "parquet"), ("c.pq", "parquet"), ("d.json", None), ("csv", None)])
def test_format_follows_the_file_suffix(name: str, expected: str | None) -> None:
    assert format_of(f"s3://bucket/day/{name}") == expected


def test_inspecting_a_csv_counts_its_rows_and_names_its_columns(batch_world: BatchWorld) -> None:
    uri = batch_world.put_frame("a.csv", _frame(1000))

    info = inspect(uri, _size(batch_world, uri), "csv", count_chunk=300)

    assert (info.format, info.columns, info.rows, info.row_groups) == ("csv", ["row_id", "x", "plan"], 1000, [1000])


def test_inspecting_a_parquet_file_reads_its_row_groups_from_the_footer(batch_world: BatchWorld) -> None:
    uri = batch_world.put_frame("a.parquet", _frame(1000), row_group_size=300)

    info = inspect(uri, _size(batch_world, uri), "parquet")

    assert (info.format, info.columns, info.rows, info.row_groups) == ("parquet", ["row_id", "x", "plan"], 1000, [300, 300, 300, 100])


@pytest.mark.parametrize(("first", "rows"), [(0, 1000), (0, 300), (250, 100), (299, 2), (550, 450), (900, 100), (990, 50)])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_range_reads_exactly_those_rows_in_order(batch_world: BatchWorld, fmt: str, first: int, rows: int) -> None:
    frame = _frame(1000)
    uri = batch_world.put_frame(f"a.{fmt}", frame, row_group_size=300)

    got = read_rows(uri, fmt, first, rows, size=_size(batch_world, uri) if fmt == "parquet" else None)  # type: ignore[arg-type]

    expected = frame.iloc[first : first + rows]
    assert list(got["row_id"]) == list(expected["row_id"])
    assert list(got["x"]) == list(expected["x"]) and list(got.columns) == ["row_id", "x", "plan"]


def test_a_range_past_the_end_of_a_parquet_file_reads_nothing(batch_world: BatchWorld) -> None:
    uri = batch_world.put_frame("a.parquet", _frame(100), row_group_size=50)
    assert read_rows(uri, "parquet", 100, 10).empty


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
        inspect(uri, len(body), fmt)  # type: ignore[arg-type]
