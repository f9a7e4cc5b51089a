"""Chunk planning: every row of a file in exactly one chunk, no chunk over chunk_rows,
Parquet chunks on row-group boundaries where the groups allow, CSV chunks on logical-row
byte boundaries, and deterministic ids."""

from __future__ import annotations

import pytest

from batch.csv_rows import RowScanner
from batch.plan import cut_chunks
from batch.read import FileInfo
from lightship.s3io import Pin


def _covered(chunks: list) -> list[int]:
    rows: list[int] = []
    for c in chunks:
        rows.extend(range(c.first_row, c.first_row + c.rows))
    return rows


def _pin(uri: str, size: int = 100) -> Pin:
    return Pin(uri=uri, size=size, version_id="v1", etag='"e"')


def _csv_info(body: bytes, chunk_rows: int) -> FileInfo:
    scanner = RowScanner(chunk_rows)
    scanner.feed(body)
    layout = scanner.finish(len(body))
    return FileInfo("csv", ["a"], layout.rows, [layout.rows], csv=layout)


@pytest.mark.parametrize(
    ("groups", "chunk_rows"),
    [([100] * 10, 250), ([100] * 10, 100), ([1000], 300), ([50, 700, 20, 20, 400], 300), ([7], 1000), ([3, 3, 3], 1)],
)
def test_parquet_chunks_cover_each_row_once_and_never_exceed_chunk_rows(groups: list[int], chunk_rows: int) -> None:
    info = FileInfo("parquet", ["a"], sum(groups), groups)
    chunks = cut_chunks(_pin("s3://b/in/x.parquet"), info, chunk_rows)
    assert _covered(chunks) == list(range(sum(groups)))
    assert all(0 < c.rows <= chunk_rows for c in chunks)
    # Group boundaries are respected whenever the groups fit.
    bounds = {0}
    for n in groups:
        bounds.add(max(bounds) + n)
    if max(groups) <= chunk_rows:
        assert all(c.first_row in bounds for c in chunks)


def test_csv_chunks_are_logical_row_ranges_of_at_most_chunk_rows() -> None:
    body = b"a\n" + b"".join(b"%d\n" % i for i in range(1001))
    chunks = cut_chunks(_pin("s3://b/in/x.csv", len(body)), _csv_info(body, 250), 250)
    assert [(c.first_row, c.rows) for c in chunks] == [(0, 250), (250, 250), (500, 250), (750, 250), (1000, 1)]
    assert [body[c.start : c.stop].split(b"\n")[0] for c in chunks] == [b"0", b"250", b"500", b"750", b"1000"]
    assert chunks[0].start == chunks[0].header_stop == 2 and chunks[-1].stop == len(body)


def test_csv_chunk_bytes_skip_blank_lines_instead_of_counting_them() -> None:
    body = b"x\n1\n\n2\n3\n4\n"  # the blank line is not a row
    chunks = cut_chunks(_pin("s3://b/in/x.csv", len(body)), _csv_info(body, 2), 2)
    assert [(c.first_row, c.rows) for c in chunks] == [(0, 2), (2, 2)]
    assert [body[c.start : c.stop] for c in chunks] == [b"1\n\n2\n", b"3\n4\n"]


def test_chunks_carry_the_pinned_version() -> None:
    body = b"a\n1\n2\n"
    (chunk,) = cut_chunks(_pin("s3://b/in/x.csv", len(body)), _csv_info(body, 10), 10)
    assert (chunk.version_id, chunk.etag, chunk.size) == ("v1", '"e"', len(body))


def test_chunk_ids_are_deterministic_and_unique() -> None:
    body = b"a\n" + b"1\n" * 10
    info = _csv_info(body, 3)
    first = [c.chunk_id for c in cut_chunks(_pin("s3://b/in/x.csv"), info, 3)]
    assert first == [c.chunk_id for c in cut_chunks(_pin("s3://b/in/x.csv"), info, 3)]
    assert len(set(first)) == len(first)
    other = [c.chunk_id for c in cut_chunks(_pin("s3://b/in/y.csv"), info, 3)]
    assert not set(first) & set(other)


def test_an_empty_file_has_no_chunks() -> None:
    assert cut_chunks(_pin("s3://b/in/x.csv"), _csv_info(b"a\n", 10), 10) == []
    assert cut_chunks(_pin("s3://b/in/x.csv"), _csv_info(b"a", 10), 10) == []


def test_blank_lines_after_the_last_row_belong_to_the_last_chunk() -> None:
    body = b"x\n1\n2\n\n \n"
    chunks = cut_chunks(_pin("s3://b/in/x.csv", len(body)), _csv_info(body, 2), 2)
    assert [(c.first_row, c.rows, c.start, c.stop) for c in chunks] == [(0, 2, 2, len(body))]
