"""Chunking follows logical rows: a run over CSV and Parquet files of every supported shape
(blank lines, quoted fields spanning lines, CRLF, a BOM, no final newline, uneven row groups),
cut into small chunks, writes each input row exactly once, scored or rejected, carrying its
identity; checked against the rows as built here, never against what the code computed.

Runs plan -> score chunk -> finalize in process against moto's S3 (``s3_day``)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from lightship.clients import cached_client
from lightship.datasets import customers
from lightship.s3io import put_bytes
from tests.unit.batch.conftest import S3Day

FEATURES = ["tenure_months", "monthly_spend", "support_calls", "age", "plan", "region"]


def rows_table(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` input rows with a unique ``order id`` (its row number, so a misread is visible)."""
    frame = customers(rows=max(n, 1), seed=seed).drop(columns=["churned"]).head(n).reset_index(drop=True)
    frame.insert(0, "order id", [f"o{i:04d}" for i in range(n)])
    return frame


def to_csv(frame: pd.DataFrame, *, newline: str = "\n", blank_after: set[int] | frozenset[int] = frozenset(),
           blank: str = "", bom: bool = False, final_newline: bool = True, quote_all: bool = False) -> bytes:
    """The frame as CSV text built line by line, with the shapes asked for."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(frame.columns)
    for i, row in enumerate(frame.itertuples(index=False)):
        writer.writerow(["" if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row])
        if i in blank_after:
            out.write(blank + newline)
    text = out.getvalue()
    if not final_newline:
        text = text[: -len(newline)]
    return ("\ufeff" if bom else "").encode() + text.encode()


def assert_each_row_written_once(day: S3Day, manifest: dict, uri: str, frame: pd.DataFrame) -> pd.DataFrame:
    written = day.written(manifest)
    mine = written[written["source_uri"] == uri].sort_values("source_row").reset_index(drop=True)
    assert mine["source_row"].tolist() == list(range(len(frame))), "every logical row once: no duplicate, no gap"
    assert mine["order id"].tolist() == frame["order id"].tolist(), "each row is the row its identity names"
    assert manifest["rows"]["in"] >= len(frame)
    return mine


def test_a_blank_line_between_rows_neither_repeats_nor_drops_a_row(s3_day: S3Day) -> None:
    frame = rows_table(4)
    uri = s3_day.put("blank.csv", to_csv(frame, blank_after={0}))  # o0, blank, o1, o2, o3: "1\n\n2\n3\n4"
    manifest = s3_day.run(chunk_rows=2)
    # Read by content first (under either spelling of the column: the old writer renamed it
    # order_id): the old reader wrote o0001 twice and o0003 never, and the counts still balanced.
    written = s3_day.written(manifest).rename(columns={"order_id": "order id"})
    assert sorted(written["order id"]) == ["o0000", "o0001", "o0002", "o0003"]
    mine = assert_each_row_written_once(s3_day, manifest, uri, frame)
    assert mine["order id"].tolist() == ["o0000", "o0001", "o0002", "o0003"]
    assert manifest["chunks"] == 2


@pytest.mark.parametrize(
    "shape",
    [
        {"newline": "\r\n"},
        {"newline": "\r\n", "blank_after": {1, 2, 5}},
        {"bom": True},
        {"final_newline": False},
        {"blank_after": {0, 3}, "blank": "   \t"},
        {"quote_all": True, "newline": "\r\n", "bom": True, "final_newline": False, "blank_after": {6}},
    ],
    ids=["crlf", "crlf-blank-lines", "bom", "no-final-newline", "whitespace-lines", "all-at-once"],
)
def test_every_csv_shape_is_chunked_by_logical_rows(s3_day: S3Day, shape: dict) -> None:
    frame = rows_table(7)
    uri = s3_day.put("shape.csv", to_csv(frame, **shape))
    manifest = s3_day.run(chunk_rows=2)
    assert_each_row_written_once(s3_day, manifest, uri, frame)
    assert manifest["rows"] == {**manifest["rows"], "in": 7, "scored": 7, "rejected": 0}


def test_quoted_fields_spanning_lines_stay_one_row(s3_day: S3Day) -> None:
    frame = rows_table(6)
    frame["note"] = ["one\nline two", 'say "hi",\nthen\r\nbye', "", "\n", "plain", "x,\n\ny"]
    uri = s3_day.put("quoted.csv", to_csv(frame, blank_after={2}))
    manifest = s3_day.run(chunk_rows=2)
    mine = assert_each_row_written_once(s3_day, manifest, uri, frame)
    assert mine["note"].fillna("").tolist() == ["one\nline two", 'say "hi",\nthen\r\nbye', "", "\n", "plain", "x,\n\ny"]


def test_parquet_row_groups_of_uneven_sizes_are_chunked_by_rows(s3_day: S3Day) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = rows_table(23)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, table.schema) as writer:
        for start, stop in ((0, 1), (1, 9), (9, 10), (10, 23)):
            writer.write_table(table.slice(start, stop - start))
    uri = s3_day.put("groups.parquet", buffer.getvalue())
    manifest = s3_day.run(chunk_rows=3)
    assert_each_row_written_once(s3_day, manifest, uri, frame)


def test_scores_keep_the_input_column_names(s3_day: S3Day) -> None:
    frame = rows_table(5).rename(columns={"age": "age"})
    frame["mean radius"] = np.arange(5) * 1.5
    s3_day.put("names.csv", to_csv(frame))
    manifest = s3_day.run(chunk_rows=10)
    written = s3_day.written(manifest)
    assert {"order id", "mean radius", *FEATURES} <= set(written.columns)
    assert written.sort_values("source_row")["mean radius"].tolist() == [0.0, 1.5, 3.0, 4.5, 6.0]
    assert not {"order_id", "mean_radius"} & set(written.columns)


shapes = st.fixed_dictionaries({
    "newline": st.sampled_from(["\n", "\r\n"]),
    "bom": st.booleans(),
    "final_newline": st.booleans(),
    "quote_all": st.booleans(),
    "blank": st.sampled_from(["", " ", "\t  "]),
})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(
    sizes=st.lists(st.integers(0, 7), min_size=1, max_size=3),
    chunk_rows=st.integers(1, 5),
    shape=shapes,
    blanks=st.sets(st.integers(0, 9), max_size=4),
    notes=st.lists(st.sampled_from(["", "a\nb", 'q"q', "x,y", "\r\n", "é"]), min_size=10, max_size=10),
    parquet_groups=st.integers(1, 5),
    bad=st.sets(st.integers(0, 9), max_size=2),
)
def test_generated_days_write_every_input_row_exactly_once(
    s3_day: S3Day, sizes: list[int], chunk_rows: int, shape: dict, blanks: set[int], notes: list[str],
    parquet_groups: int, bad: set[int],
) -> None:
    client_reset(s3_day)
    # The identity logic does not depend on the writer; awswrangler's per-call client set-up
    # (about 0.1 s a part) would make a generated day cost seconds.
    s3_day.monkeypatch.setattr("batch.score.write_parquet", _plain_write)
    expected: dict[str, pd.DataFrame] = {}
    for f, n in enumerate(sizes):
        frame = rows_table(n, seed=f + 2)
        frame["order id"] = [f"f{f}-{i}" for i in range(n)]
        frame["note"] = notes[:n]
        frame = frame.astype({"monthly_spend": object})
        for i in bad:
            if i < n:
                frame.loc[i, "monthly_spend"] = "lots"  # a reject: rejects carry identity too
        if f % 2 == 0:
            uri = s3_day.put(f"in-{f}.csv", to_csv(frame, blank_after=blanks, **shape))
        else:
            buffer = io.BytesIO()
            frame.astype({"monthly_spend": str}).to_parquet(buffer, index=False, row_group_size=parquet_groups)
            uri = s3_day.put(f"in-{f}.parquet", buffer.getvalue())
        expected[uri] = frame
    manifest = s3_day.run(chunk_rows=chunk_rows, id_column="order id")
    written = s3_day.written(manifest).reindex(columns=["source_uri", "source_row", "order id", "rejected"])
    inputs = sorted((uri, i, str(v)) for uri, frame in expected.items() for i, v in enumerate(frame["order id"]))
    outputs = sorted(zip(written["source_uri"], written["source_row"].astype(int), written["order id"].astype(str), strict=True))
    assert outputs == inputs  # the multiset of input identities = scored ∪ rejected
    rejected = written.loc[written["rejected"].astype(bool)]
    assert sorted(rejected["order id"]) == sorted(
        str(frame.loc[i, "order id"]) for frame in expected.values() for i in bad if i < len(frame)
    )
    assert manifest["rows"]["in"] == sum(sizes) == manifest["rows"]["scored"] + manifest["rows"]["rejected"]


def _plain_write(frame: pd.DataFrame, uri: str) -> None:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    put_bytes(cached_client("s3"), uri, buffer.getvalue())


def client_reset(day: S3Day) -> None:
    """Each generated example starts from an empty day."""
    from lightship.clients import client

    s3 = client("s3")
    for prefix in ("batch/",):
        versions = s3.list_object_versions(Bucket=day.bucket, Prefix=prefix)
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
        if objects:
            s3.delete_objects(Bucket=day.bucket, Delete={"Objects": objects})
