"""Finalize, by what it leaves in S3: every input row accounted for once, the manifest, the report, stale parts
removed, and an incomplete day refused. Runs plan → chunks → finalize on moto in process."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from batch import layout
from batch.errors import IdentityMismatch, IncompleteRun
from batch.finalize import finalize
from batch.model import load_model
from lightship.clients import cached_client
from lightship.datasets import customers
from lightship.s3io import get_json, put_json
from tests.support.batch_world import BatchWorld, batch_world_fixture, bundle_targz, run_day  # noqa: F401 - fixtures

ID = "row_id"


def _day(rows: int, seed: int, start: int) -> pd.DataFrame:
    frame = customers(rows=rows, seed=seed).drop(columns=["churned"])
    frame.insert(0, ID, [f"r{start + i:05d}" for i in range(rows)])
    return frame


def test_every_input_row_is_scored_or_rejected_exactly_once_and_the_manifest_says_so(batch_world: BatchWorld) -> None:
    world = batch_world
    good = _day(900, 1, 0)
    bad = _day(300, 2, 1000)
    bad = bad.astype({"age": object})
    bad.loc[[5, 77, 250], "age"] = "not a number"
    world.put_frame("a.parquet", good, row_group_size=128)
    world.put_frame("b.csv", bad)
    world.put("notes.txt", b"not data")

    planned, done = run_day(world)

    manifest = get_json(cached_client("s3"), done.result.manifest_uri)
    scored = world.read_parquet(manifest["outputs"])
    rejected = world.read_parquet(manifest["rejects"])
    inputs = sorted([*good[ID], *bad[ID]])
    assert sorted([*scored[ID], *rejected[ID]]) == inputs  # no row lost, none twice
    assert sorted(rejected[ID]) == ["r01005", "r01077", "r01250"]
    assert manifest["rows"]["in"] == len(inputs) == manifest["rows"]["scored"] + manifest["rows"]["rejected"]
    assert manifest["rows"]["rejected"] == 3 == sum(manifest["rows"]["rejected_by_reason"].values())
    assert manifest["status"] == "complete" and manifest["chunks"] == planned.chunk_count > 2
    assert [o["status"] for o in manifest["input"]["objects"]] == ["scored", "scored", "quarantined"]  # as the run left them
    assert manifest["quarantined"] == [layout.quarantine(world.run.rejects_uri, f"{world.run.input_uri}notes.txt")]
    assert any("notes.txt" in p for p in manifest["problems"])
    assert set(scored["model_version"]) == {3} and set(scored["run_id"]) == {"run-1"}
    assert ((scored["probability_1"] >= 0) & (scored["probability_1"] <= 1)).all()
    result = done.result
    assert (result.rows_in, result.rows_scored, result.rows_rejected) == (1200, 1197, 3)
    assert done.metrics["RowsIn"] == 1200 and "MaxPsi" in done.metrics
    report = get_json(cached_client("s3"), result.report_uri)
    assert report and result.html_uri in world.keys(world.run.report_uri)


def test_a_rerun_of_the_day_leaves_only_its_own_parts(batch_world: BatchWorld) -> None:
    world = batch_world
    world.put_frame("a.csv", _day(900, 1, 0))
    run_day(world, "run-1")
    leftover = layout.output_part(world.run.output_uri, "from-an-older-plan")
    world.put("../../" + "x", b"")  # an unrelated object elsewhere must survive
    bucket, key = leftover.removeprefix("s3://").split("/", 1)
    from lightship.clients import cached_client

    cached_client("s3").put_object(Bucket=bucket, Key=key, Body=b"stale")

    _, done = run_day(world, "run-2")

    outputs = world.keys(world.run.output_uri)
    assert leftover not in outputs and outputs == done.manifest["outputs"]
    assert sorted(world.read_parquet(outputs)[ID]) == [f"r{i:05d}" for i in range(900)]
    assert get_json(cached_client("s3"), done.result.manifest_uri)["run_id"] == "run-2"


def test_a_chunk_without_its_result_fails_the_day_and_writes_no_manifest(batch_world: BatchWorld) -> None:
    world = batch_world
    world.put_frame("a.csv", _day(900, 1, 0))
    planned, _ = run_day(world)
    manifest_uri = layout.manifest(world.run.report_uri)
    bucket, key = manifest_uri.removeprefix("s3://").split("/", 1)
    from lightship.clients import cached_client

    cached_client("s3").delete_object(Bucket=bucket, Key=key)
    chunk = get_json(cached_client("s3"), planned.plan_uri)[1]
    result_uri = layout.chunk_result(world.run.report_uri, world.run.run_id, chunk["chunk_id"])
    rbucket, rkey = result_uri.removeprefix("s3://").split("/", 1)
    cached_client("s3").delete_object(Bucket=rbucket, Key=rkey)

    with pytest.raises(IncompleteRun, match=f"chunk {chunk['chunk_id']} .* has no result"):
        finalize(cached_client("s3"), world.run, planned, world.config)

    assert manifest_uri not in world.keys(world.run.report_uri)


def test_a_chunk_that_read_other_than_planned_fails_the_day(batch_world: BatchWorld) -> None:
    world = batch_world
    world.put_frame("a.csv", _day(900, 1, 0))
    planned, _ = run_day(world)
    chunk = get_json(cached_client("s3"), planned.plan_uri)[0]
    result_uri = layout.chunk_result(world.run.report_uri, world.run.run_id, chunk["chunk_id"])
    stored = get_json(cached_client("s3"), result_uri)
    stored["result"]["rows_in"] -= 1
    stored["result"]["rows_scored"] -= 1
    put_json(cached_client("s3"), result_uri, stored)

    with pytest.raises(IncompleteRun, match=f"chunk {chunk['chunk_id']}: planned {chunk['rows']} rows, read {chunk['rows'] - 1}"):
        finalize(cached_client("s3"), world.run, planned, world.config)


def test_rows_that_do_not_add_up_fail_the_day(batch_world: BatchWorld) -> None:
    world = batch_world
    world.put_frame("a.csv", _day(500, 1, 0))
    planned, _ = run_day(world)
    chunk = get_json(cached_client("s3"), planned.plan_uri)[0]
    result_uri = layout.chunk_result(world.run.report_uri, world.run.run_id, chunk["chunk_id"])
    stored = get_json(cached_client("s3"), result_uri)
    stored["result"]["rows_scored"] -= 1  # one row neither scored nor rejected
    put_json(cached_client("s3"), result_uri, stored)

    # The chunk's own identity check sees it first: the row numbers it wrote no longer add up to those it read.
    with pytest.raises(IdentityMismatch, match=r"wrote 399 scored \+ 0 rejected rows from row 0, read 400"):
        finalize(cached_client("s3"), world.run, planned, world.config)


def test_a_day_without_input_is_empty_alerts_and_removes_an_earlier_report(batch_world: BatchWorld) -> None:
    world = batch_world
    put_json(cached_client("s3"), layout.report_json(world.run.report_uri), {"from": "an earlier run"})

    _, done = run_day(world)

    assert done.result.status == "empty" and done.result.alert and "no input" in done.result.subject
    assert done.report is None and done.result.report_uri is None
    assert world.keys(world.run.report_uri) == [layout.manifest(world.run.report_uri)] or all(
        "/runs/" in k or k.endswith("manifest.json") for k in world.keys(world.run.report_uri)
    )
    manifest = get_json(cached_client("s3"), done.result.manifest_uri)
    assert manifest["rows"] == {"in": 0, "scored": 0, "rejected": 0, "rejected_by_reason": {}, "flagged": 0, "flagged_by_feature": {}}
    assert manifest["problems"] == [f"no input files under {world.run.input_uri}"]


def test_a_shifted_feature_raises_the_drift_alert_naming_it(batch_world: BatchWorld) -> None:
    world = batch_world
    shifted = _day(1200, 3, 0)
    shifted["monthly_spend"] = shifted["monthly_spend"] * 3 + 200
    world.put_frame("a.csv", shifted)

    _, done = run_day(world)

    assert done.result.alert and "monthly_spend" in done.result.drifted and "drift in" in done.result.subject
    assert "monthly_spend: PSI" in done.result.message and done.result.html_uri in done.result.message
    report = get_json(cached_client("s3"), done.result.report_uri)
    assert json.dumps(report)  # the report is JSON, as written
    assert np.isfinite(done.metrics["MaxPsi"]) and done.metrics["DriftedFeatures"] >= 1


def test_a_day_without_drift_does_not_alert(batch_world: BatchWorld) -> None:
    world = batch_world
    world.put_frame("a.csv", customers(rows=1500, seed=7).drop(columns=["churned"]))

    _, done = run_day(world)

    assert not done.result.alert and "no drift" in done.result.subject and done.result.drifted == []


def test_the_manifest_carries_the_cbpe_estimate_of_the_days_scores_computed_from_the_bundles_calibrator(batch_world: BatchWorld) -> None:
    from lightship.quality import calibration

    world = batch_world
    world.put_frame("a.parquet", _day(900, 1, 0), row_group_size=128)
    _, done = run_day(world)

    estimated = done.manifest["estimated_quality"]
    scored = world.read_parquet(done.manifest["outputs"])
    bundle = load_model(cached_client("s3"), world.run.model.model_data_url)
    assert bundle.calibration is not None and bundle.calibration["method"] == "platt"
    # Expected by hand: each row's calibrated probability is the chance it is positive.
    p = calibration.calibrate(bundle.calibration, scored["probability_1"].to_numpy())
    expected_accuracy = np.mean(np.where(scored["prediction"].astype(str) == "1", p, 1 - p))
    assert estimated["rows"] == 900 and estimated["accuracy"] == pytest.approx(expected_accuracy, abs=1e-12)
    # Expected ROC AUC as a pair count: row i positive and row j negative with weight p_i (1 - p_j), ranked
    # right when s_i > s_j (half on ties), over the expected positives times the expected negatives.
    s = scored["probability_1"].to_numpy()
    above = (s[:, None] > s[None, :]) + 0.5 * (s[:, None] == s[None, :])
    pairs = p[:, None] * (1 - p)[None, :]
    assert estimated["roc_auc"] == pytest.approx((pairs * above).sum() / (p.sum() * (1 - p).sum()), abs=1e-9)
    assert done.metrics["EstimatedRocAuc"] == estimated["roc_auc"] and done.metrics["EstimatedAccuracy"] == estimated["accuracy"]


def test_rows_flagged_out_of_range_are_counted_in_the_manifest_and_the_run_metrics(batch_world: BatchWorld) -> None:
    world = batch_world
    day = _day(400, 3, 0)
    numeric = day.select_dtypes("number").columns
    day[numeric] = day[numeric].clip(day[numeric].quantile(0.1), day[numeric].quantile(0.9), axis=1)  # well inside training's range
    day.loc[[3, 40, 399], "age"] = 10_000  # far beyond any age the model was trained on; the default policy flags
    world.put_frame("a.parquet", day)

    _, done = run_day(world)

    manifest = get_json(cached_client("s3"), done.result.manifest_uri)
    assert manifest["rows"]["scored"] == 400 and manifest["rows"]["flagged"] == 3
    assert manifest["rows"]["flagged_by_feature"] == {"age": 3}
    assert done.metrics["RowsFlagged"] == 3
