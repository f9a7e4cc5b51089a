"""Chunk planning: every row of a file in exactly one chunk, no chunk over chunk_rows,
Parquet chunks on row-group boundaries where the groups allow, and deterministic ids."""

from __future__ import annotations

import pytest

from batch.plan import cut_chunks
from batch.read import FileInfo


def _covered(chunks: list) -> list[int]:
    rows: list[int] = []
    for c in chunks:
        rows.extend(range(c.first_row, c.first_row + c.rows))
    return rows


@pytest.mark.parametrize(
    ("groups", "chunk_rows"),
    [([100] * 10, 250), ([100] * 10, 100), ([1000], 300), ([50, 700, 20, 20, 400], 300), ([7], 1000), ([3, 3, 3], 1)],
)
def test_parquet_chunks_cover_each_row_once_and_never_exceed_chunk_rows(groups: list[int], chunk_rows: int) -> None:
    info = FileInfo("parquet", ["a"], sum(groups), groups)
    chunks = cut_chunks("s3://b/in/x.parquet", info, chunk_rows)
    assert _covered(chunks) == list(range(sum(groups)))
    assert all(0 < c.rows <= chunk_rows for c in chunks)
    # Group boundaries are respected whenever the groups fit.
    bounds = {0}
    for n in groups:
        bounds.add(max(bounds) + n)
    if max(groups) <= chunk_rows:
        assert all(c.first_row in bounds for c in chunks)


def test_csv_chunks_are_row_ranges_of_at_most_chunk_rows() -> None:
    chunks = cut_chunks("s3://b/in/x.csv", FileInfo("csv", ["a"], 1001, [1001]), 250)
    assert [(c.first_row, c.rows) for c in chunks] == [(0, 250), (250, 250), (500, 250), (750, 250), (1000, 1)]


def test_chunk_ids_are_deterministic_and_unique() -> None:
    info = FileInfo("csv", ["a"], 10, [10])
    first = [c.chunk_id for c in cut_chunks("s3://b/in/x.csv", info, 3)]
    assert first == [c.chunk_id for c in cut_chunks("s3://b/in/x.csv", info, 3)]
    assert len(set(first)) == len(first)
    other = [c.chunk_id for c in cut_chunks("s3://b/in/y.csv", info, 3)]
    assert not set(first) & set(other)


def test_an_empty_file_has_no_chunks() -> None:
    assert cut_chunks("s3://b/in/x.csv", FileInfo("csv", ["a"], 0, [0]), 10) == []
