"""Inputs are pinned: a run reads exactly the version of each file the plan recorded, and an
input replaced or deleted during the run fails it (no manifest). Finalize refuses a day whose
chunks did not write each input row exactly once, and rows whose id repeats or is missing are
rejected with their reason. In process against moto's S3 (``s3_day``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from batch.errors import IdentityMismatch
from batch.events import Chunk
from batch.finalize import finalize
from batch.score import score_chunk
from lightship.clients import cached_client
from lightship.errors import InputChanged
from lightship.s3io import get_json
from tests.unit.batch.conftest import S3Day
from tests.unit.batch.test_identity_csv_shapes import rows_table, to_csv


def _plan(day: S3Day, chunk_rows: int = 3, id_column: str | None = None) -> tuple:
    run = day.run_context(id_column)
    planned, chunks = day.plan(run, chunk_rows)
    return run, planned, chunks


def test_the_plan_records_each_objects_version_and_the_manifest_names_it(s3_day: S3Day) -> None:
    s3_day.put("a.csv", to_csv(rows_table(4)))
    manifest = s3_day.run(chunk_rows=10)
    (obj,) = manifest["input"]["objects"]
    head = s3_day_head(s3_day, obj["uri"])
    assert obj["version_id"] == head["VersionId"] and obj["etag"] == head["ETag"]


def s3_day_head(day: S3Day, uri: str) -> dict:
    from lightship.clients import client

    return dict(client("s3").head_object(Bucket=day.bucket, Key=uri.split("/", 3)[3]))


def test_a_file_replaced_after_planning_is_read_as_planned_then_fails_the_run_without_a_manifest(s3_day: S3Day) -> None:
    original = rows_table(6)
    uri = s3_day.put("a.csv", to_csv(original))
    run, planned, chunks = _plan(s3_day)
    replacement = rows_table(6, seed=9)
    replacement["order id"] = [f"new-{i}" for i in range(6)]
    s3_day.put("a.csv", to_csv(replacement))  # a new version while the run is under way

    for chunk in chunks:
        score_chunk(cached_client("s3"), run, chunk)  # every chunk reads the version the plan pinned
    parts = [get_json(cached_client("s3"), f"{run.report_uri}runs/{run.run_id}/chunks/{c.chunk_id}.json")["result"] for c in chunks]
    assert sum(p["rows_scored"] for p in parts) == 6
    written = pd.concat([pd.read_parquet(_local(p["output_uri"])) for p in parts], ignore_index=True)
    assert sorted(written["order id"]) == sorted(original["order id"])  # never a row of the new version

    with pytest.raises(InputChanged, match=rf"{uri} was replaced .* rerun the date"):
        finalize(cached_client("s3"), run, planned, s3_day.config(3))
    assert not s3_day.manifest_exists()


def _local(uri: str) -> object:
    import io

    from lightship.s3io import get_bytes

    return io.BytesIO(get_bytes(cached_client("s3"), uri))


def test_a_file_deleted_during_the_run_fails_it_without_a_manifest(s3_day: S3Day) -> None:
    uri = s3_day.put("a.csv", to_csv(rows_table(4)))
    run, planned, chunks = _plan(s3_day)
    for chunk in chunks:
        score_chunk(cached_client("s3"), run, chunk)
    from lightship.clients import client

    client("s3").delete_object(Bucket=s3_day.bucket, Key=uri.split("/", 3)[3])
    with pytest.raises(InputChanged, match=rf"{uri} was deleted"):
        finalize(cached_client("s3"), run, planned, s3_day.config(3))
    assert not s3_day.manifest_exists()


def test_without_versioning_a_replaced_file_cannot_be_read_by_a_chunk(unversioned_day: S3Day) -> None:
    uri = unversioned_day.put("a.parquet", _parquet(rows_table(5)))
    run, _, chunks = _plan(unversioned_day)
    assert chunks[0].version_id is None and chunks[0].etag
    unversioned_day.put("a.parquet", _parquet(rows_table(5, seed=4)))
    with pytest.raises(InputChanged, match=rf"{uri} changed during the run: the plan pinned ETag"):
        score_chunk(cached_client("s3"), run, chunks[0])


def _parquet(frame: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_finalize_fails_when_a_chunk_wrote_a_row_twice_and_another_never(s3_day: S3Day, monkeypatch: pytest.MonkeyPatch) -> None:
    s3_day.put("a.csv", to_csv(rows_table(6)))
    run, planned, chunks = _plan(s3_day)
    import batch.score as score_module

    real = score_module.score_frame

    def repeats_a_row(frame: pd.DataFrame, *args: object, **kwargs: object) -> object:
        result = real(frame, *args, **kwargs)  # type: ignore[arg-type]
        rows = result.scored["source_row"].to_numpy().copy()
        rows[-1] = rows[0]  # same count, one row twice, one row missing
        result.scored["source_row"] = rows
        return result

    monkeypatch.setattr(score_module, "score_frame", repeats_a_row)
    for chunk in chunks:
        score_chunk(cached_client("s3"), run, chunk)
    with pytest.raises(IdentityMismatch, match="not its rows once each"):
        finalize(cached_client("s3"), run, planned, s3_day.config(3))
    assert not s3_day.manifest_exists()


def test_finalize_fails_when_a_chunk_read_other_rows_than_planned(s3_day: S3Day, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = rows_table(6)
    s3_day.put("a.csv", to_csv(frame))
    run, planned, chunks = _plan(s3_day, id_column="order id")
    import batch.score as score_module

    real = score_module.read_chunk

    def off_by_one(s3: Any, chunk: Chunk, id_column: str | None = None) -> pd.DataFrame:
        # What the old reader did after a blank line: the right count, rows shifted by one.
        rows = real(s3, chunk, id_column)
        if chunk.first_row == 0:
            return rows
        shifted = frame.iloc[chunk.first_row - 1 : chunk.first_row - 1 + chunk.rows].reset_index(drop=True)
        return shifted.astype({"order id": str})

    monkeypatch.setattr(score_module, "read_chunk", off_by_one)
    for chunk in chunks:
        score_chunk(cached_client("s3"), run, chunk)
    with pytest.raises(IdentityMismatch, match="ids it wrote are not the ids the plan read"):
        finalize(cached_client("s3"), run, planned, s3_day.config(3))
    assert not s3_day.manifest_exists()


def test_finalize_fails_when_the_plan_leaves_rows_out(s3_day: S3Day) -> None:
    s3_day.put("a.csv", to_csv(rows_table(7)))
    run, planned, chunks = _plan(s3_day)
    for chunk in chunks:
        score_chunk(cached_client("s3"), run, chunk)
    from lightship.s3io import put_json

    put_json(cached_client("s3"), planned.plan_uri, [c.model_dump() for c in chunks[:-1]])  # the last chunk was never planned
    with pytest.raises(IdentityMismatch, match="chunks cover 6 of its 7 rows"):
        finalize(cached_client("s3"), run, planned, s3_day.config(3))


def test_later_duplicate_and_missing_ids_are_rejected_with_their_reason_across_files_and_chunks(s3_day: S3Day) -> None:
    first = rows_table(5)
    first["order id"] = ["A", "B", "C", "B", None]  # B again within the file (another chunk), one without an id
    second = rows_table(3, seed=5)
    second["order id"] = ["C", "D", "007"]  # C was in the first file (key order decides which is earlier)
    s3_day.put("1.csv", to_csv(first))
    s3_day.put("2.csv", to_csv(second))
    manifest = s3_day.run(chunk_rows=2, id_column="order id")
    written = s3_day.written(manifest)
    reasons = dict(zip(zip(written["source_uri"].str.rsplit("/", n=1).str[1], written["source_row"]),
                       written["reject_reason"].where(written["rejected"], None), strict=True))
    assert {k: v for k, v in reasons.items() if isinstance(v, str)} == {
        ("1.csv", 3): "order id: duplicate id (an earlier input row has it)",
        ("1.csv", 4): "order id: missing id",
        ("2.csv", 0): "order id: duplicate id (an earlier input row has it)",
    }
    scored_ids = written.loc[~written["rejected"].astype(bool), "order id"].astype(str)
    assert sorted(scored_ids) == ["007", "A", "B", "C", "D"]  # each id scored once; "007" kept as text
    assert manifest["rows"]["rejected_by_reason"]["order id: duplicate id (an earlier input row has it)"] == 2
    assert manifest["identity"]["id_column"] == "order id"


def test_a_file_without_the_id_column_is_quarantined_with_its_rows_counted(s3_day: S3Day) -> None:
    s3_day.put("no-id.csv", to_csv(rows_table(4).drop(columns=["order id"])))
    manifest = s3_day.run(chunk_rows=2, id_column="order id")
    (obj,) = manifest["input"]["objects"]
    assert obj["status"] == "quarantined" and "missing id column order id" in obj["reason"]
    assert manifest["rows"]["in"] == 4 == manifest["rows"]["rejected"]


def test_a_quote_inside_an_unquoted_field_quarantines_the_file_instead_of_miscutting_it(s3_day: S3Day) -> None:
    frame = rows_table(3)
    frame["note"] = ["plain", "multi\nline", "plain"]  # a quoted field spanning lines after the stray quote
    body = to_csv(frame).replace(b"o0000,", b'o0000 5" screen,', 1)
    s3_day.put("stray.csv", body)
    assert len(pd.read_csv(__import__("io").BytesIO(body))) == 3  # pandas reads it: the quote is text
    manifest = s3_day.run(chunk_rows=1)
    (obj,) = manifest["input"]["objects"]
    assert obj["status"] == "quarantined" and "double quote inside an unquoted field" in obj["reason"]
    assert manifest["rows"]["rejected"] == 3 == manifest["rows"]["in"]  # counted as pandas reads it, never dropped
