"""Batch runs on the emulator, executing the state machine ``cdk synth`` emits for the batch
stack: scores and rejects in S3, manifest and report, rerun, failing chunks, drift alerts,
quarantine, the Distributed Map branch, and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import awswrangler as wr
import numpy as np
import pandas as pd
import pytest

from batch.model import load_model
from lightship.batch_run import execution
from lightship.batch_run.execution import RunFailed
from lightship.batch_run.request import RunRequest
from lightship.cli.main import main
from lightship.clients import cached_client, client
from lightship.datasets import customers
from lightship.deployment.record import Deployment, DeploymentRecord
from lightship.local import lambda_router
from lightship.local.emulator import LocalEmulator
from lightship.resources import names_for
from lightship.s3io import get_json
from lightship.settings import Settings, cached_settings
from tests.support.models import register_trained

DATE = "2026-11-20"


@pytest.fixture
def live(emulator: LocalEmulator, settings: Settings) -> int:
    """An approved version, live in the deployment record."""
    resources = emulator.resources
    assert resources is not None
    version = register_trained(settings, resources, customers(rows=2000, seed=7), "churned", approve=True)
    DeploymentRecord(client("dynamodb"), resources.deployment_table).write(
        Deployment(version=version.version, package_arn=version.arn, model_data_url=version.model_data_url, revision=1,
                   action="deploy", reason="test", by="tests", at="2026-11-20T00:00:00Z"),
        None,
    )
    return version.version


@pytest.fixture
def bucket(emulator: LocalEmulator) -> str:
    assert emulator.resources is not None
    return emulator.resources.data_bucket


def put(bucket: str, name: str, body: bytes, date: str = DATE) -> str:
    key = f"batch/input/date={date}/{name}"
    client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def parquet_bytes(frame: pd.DataFrame, row_group_size: int = 1000) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, row_group_size=row_group_size)
    return buffer.getvalue()


def run(settings: Settings, emulator: LocalEmulator, date: str = DATE, **request: Any) -> execution.Execution:
    assert emulator.resources is not None
    sfn = client("stepfunctions")
    arn = emulator.resources.state_machine_arn(emulator.resources.batch_state_machine)
    started = execution.start(sfn, arn, RunRequest(date=dt.date.fromisoformat(date), **request))
    return execution.wait(sfn, started, poll_seconds=0.2, timeout_seconds=300)


@pytest.fixture
def alerts(emulator: LocalEmulator, settings: Settings) -> Callable[[], list[dict[str, Any]]]:
    """Messages published to the alerts topic, through an SQS subscription."""
    sqs, sns = client("sqs"), client("sns")
    queue = sqs.create_queue(QueueName="alerts-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=names_for(settings).alerts_topic)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


def read_parts(uris: list[str]) -> pd.DataFrame:
    return pd.concat([wr.s3.read_parquet(u) for u in uris], ignore_index=True)


def test_a_run_scores_every_good_row_with_the_live_model_and_accounts_for_every_bad_one(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    good = customers(rows=2500, seed=3).drop(columns=["churned"])
    bad = customers(rows=40, seed=4).drop(columns=["churned"]).astype(object)
    bad.loc[:4, "tenure_months"] = None
    bad.loc[5:7, "monthly_spend"] = "twelve"
    bad.loc[10:11, "age"] = 1e6  # far outside the training range: scored, flagged, counted (rows.out_of_range=flag)
    put(bucket, "a.csv", csv_bytes(good.iloc[:1200]))
    put(bucket, "b.parquet", parquet_bytes(good.iloc[1200:]))
    put(bucket, "bad.csv", csv_bytes(bad))

    done = run(settings, emulator)

    manifest = get_json(cached_client("s3"), done.output["result"]["manifest_uri"])
    rows = manifest["rows"]
    assert rows["in"] == 2540 == rows["scored"] + rows["rejected"]
    assert rows["rejected_by_reason"] == {
        "tenure_months: missing, but training saw no missing values for this feature": 5,
        "monthly_spend: expected a number, got a string": 3,
    }
    age = load_model(client("s3"), manifest["model"]["model_data_url"]).schema.feature("age")
    ages = pd.concat([good["age"], bad["age"].iloc[8:]]).astype(float)  # the scored rows' ages
    outside = int(((ages < age.minimum) | (ages > age.maximum)).sum())
    assert outside >= 2 and rows["flagged_by_feature"].get("age") == outside
    assert outside <= rows["flagged"] <= sum(rows["flagged_by_feature"].values())  # a row may be out on several features
    assert manifest["status"] == "complete" and manifest["model"]["version"] == live
    scored = read_parts(manifest["outputs"])
    assert len(scored) == rows["scored"]
    assert set(scored["model_version"]) == {live}
    assert set(scored["run_id"]) == {done.name} == {manifest["run_id"]}
    assert scored["probability_1"].between(0, 1).all()
    assert all(u.startswith(f"s3://{bucket}/batch/output/date={DATE}/part-") for u in manifest["outputs"])
    rejects = read_parts(manifest["rejects"])
    assert len(rejects) == 8 and rejects["reject_reason"].notna().all()
    assert sorted(rejects["source_row"].tolist()) == [0, 1, 2, 3, 4, 5, 6, 7]
    report = get_json(cached_client("s3"), manifest["report"]["json"])
    assert report["current_rows"] == rows["scored"] and report["drifted_features"] == []
    html = client("s3").get_object(Bucket=bucket, Key=manifest["report"]["html"].split("/", 3)[3])["Body"].read().decode()
    assert html.count("<svg") == len(report["features"]) + 1  # every feature and the predictions
    assert manifest["timings"]["chunk_seconds_total"] > 0
    assert alerts() == []  # no drift, nothing published
    # The finalize function's EMF reaches CloudWatch (the emulator extracts it as CloudWatch Logs does).
    cloudwatch = client("cloudwatch")
    stats = cloudwatch.get_metric_statistics(
        Namespace="Lightship", MetricName="RowsRejected", Dimensions=[{"Name": "ModelVersion", "Value": str(live)},
                                                                      {"Name": "service", "Value": "batch"}],
        StartTime=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), EndTime=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        Period=3600, Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in stats] == [8.0]
    features = {d["Value"] for m in cloudwatch.list_metrics(Namespace="Lightship", MetricName="FeaturePsi")["Metrics"]
                for d in m["Dimensions"] if d["Name"] == "Feature"}
    assert features == {"tenure_months", "monthly_spend", "support_calls", "age", "plan", "region"}
    # The drift alarm's series, {service=batch} alone (0 drifted features here), exists for the alarm to read.
    drift = [m for m in cloudwatch.list_metrics(Namespace="Lightship", MetricName="DriftedFeatures")["Metrics"]
             if m["Dimensions"] == [{"Name": "service", "Value": "batch"}]]
    assert len(drift) == 1


def test_rerunning_a_date_replaces_its_outputs_and_never_duplicates_rows(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str
) -> None:
    frame = customers(rows=1500, seed=5).drop(columns=["churned"])
    put(bucket, "a.csv", csv_bytes(frame.iloc[:1000]))
    second = put(bucket, "b.csv", csv_bytes(frame.iloc[1000:]))
    first = get_json(cached_client("s3"), run(settings, emulator).output["result"]["manifest_uri"])
    assert first["rows"]["scored"] == 1500

    again = get_json(cached_client("s3"), run(settings, emulator).output["result"]["manifest_uri"])
    assert again["outputs"] == first["outputs"]  # deterministic keys: overwritten, not added
    assert len(read_parts(again["outputs"])) == 1500
    assert set(read_parts(again["outputs"])["run_id"]) == {again["run_id"]} != {first["run_id"]}

    client("s3").delete_object(Bucket=bucket, Key=second.split("/", 3)[3])
    third = get_json(cached_client("s3"), run(settings, emulator).output["result"]["manifest_uri"])
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix=f"batch/output/date={DATE}/").get("Contents", [])
    assert len(listed) == len(third["outputs"]) == 1  # the removed file's part went with it
    assert len(read_parts(third["outputs"])) == 1000


def test_a_chunk_that_fails_once_is_retried_and_the_run_completes(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str
) -> None:
    put(bucket, "a.csv", csv_bytes(customers(rows=300, seed=6).drop(columns=["churned"])))
    name = f"{settings.project}-batch-score-chunk"
    real = lambda_router.handler_for(name)
    calls: list[int] = []

    def flaky(event: dict[str, Any], context: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("S3 read timed out")
        return real(event, context)  # type: ignore[operator]

    lambda_router.register(name, flaky)
    try:
        done = run(settings, emulator)
    finally:
        lambda_router.register(name, real)
    assert len(calls) == 2
    assert done.output["result"]["rows_scored"] == 300


def test_a_chunk_that_keeps_failing_fails_the_run_loudly_and_writes_no_manifest(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    put(bucket, "a.csv", csv_bytes(customers(rows=300, seed=6).drop(columns=["churned"])))
    name = f"{settings.project}-batch-score-chunk"
    real = lambda_router.handler_for(name)
    calls: list[int] = []

    def broken(event: dict[str, Any], context: Any) -> Any:
        calls.append(1)
        raise RuntimeError("disk full")

    lambda_router.register(name, broken)
    try:
        with pytest.raises(RunFailed, match="disk full"):
            run(settings, emulator)
    finally:
        lambda_router.register(name, real)
    assert len(calls) == 3  # the first try and two retries
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix=f"batch/reports/date={DATE}/manifest.json")
    assert listed.get("KeyCount", 0) == 0
    messages = alerts()
    assert len(messages) == 1 and "failed" in messages[0]["Subject"] and "disk full" in messages[0]["Message"]


def test_a_shifted_batch_is_reported_as_drift_and_alerts(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    put(bucket, "shifted.parquet", parquet_bytes(customers(rows=3000, seed=8, shift=1.0).drop(columns=["churned"])))
    result = run(settings, emulator).output["result"]
    assert result["alert"] is True
    assert {"tenure_months", "monthly_spend", "support_calls", "plan"} <= set(result["drifted"])
    report = get_json(cached_client("s3"), result["report_uri"])
    assert report["alert"] and report["max_psi"] > settings.batch.psi_threshold
    (message,) = alerts()
    assert "drift" in message["Subject"] and "monthly_spend" in message["Message"]


def test_unusable_files_are_quarantined_with_their_reason_and_their_rows_counted(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str
) -> None:
    put(bucket, "good.csv", csv_bytes(customers(rows=200, seed=9).drop(columns=["churned"])))
    put(bucket, "broken.parquet", b"PAR1 this is not parquet")
    put(bucket, "wrong.csv", csv_bytes(pd.DataFrame({"id": np.arange(30), "score": np.ones(30)})))
    put(bucket, "notes.txt", b"hello")
    manifest = get_json(cached_client("s3"), run(settings, emulator).output["result"]["manifest_uri"])
    objects = {o["uri"].rsplit("/", 1)[-1]: o for o in manifest["input"]["objects"]}
    assert objects["good.csv"]["status"] == "scored"  # the finished run read it: no longer "planned"
    for name, reason in (("broken.parquet", "cannot be parsed as parquet"), ("wrong.csv", "missing feature columns"),
                         ("notes.txt", "unsupported file type")):
        assert objects[name]["status"] == "quarantined" and reason in objects[name]["reason"], name
        key = objects[name]["quarantine_uri"].split("/", 3)[3]
        assert client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 0  # kept, not dropped
    assert manifest["rows"]["in"] == 230 == manifest["rows"]["scored"] + manifest["rows"]["rejected"]
    assert len(manifest["problems"]) == 3


def test_an_empty_day_is_reported_not_silently_skipped(
    settings: Settings, emulator: LocalEmulator, live: int, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    result = run(settings, emulator, date="2026-11-21").output["result"]
    manifest = get_json(cached_client("s3"), result["manifest_uri"])
    assert manifest["status"] == "empty" and manifest["rows"] == {
        "in": 0, "scored": 0, "rejected": 0, "rejected_by_reason": {}, "flagged": 0, "flagged_by_feature": {}}
    assert "no input files" in manifest["problems"][0]
    assert [m["Subject"] for m in alerts()] == ["Lightship batch 2026-11-21: no input"]


def test_without_a_live_model_the_run_fails_saying_so(settings: Settings, emulator: LocalEmulator, bucket: str) -> None:
    put(bucket, "a.csv", csv_bytes(customers(rows=50, seed=1).drop(columns=["churned"])))
    with pytest.raises(RunFailed, match="NoLiveModel: no model version is live"):
        run(settings, emulator)


@pytest.fixture
def small_plan_threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The functions' settings (read once per process, as on Lambda) with 2 000-row chunks and a
    Distributed Map from 2 chunks on."""
    monkeypatch.setenv("LIGHTSHIP_BATCH__CHUNK_ROWS", "2000")
    monkeypatch.setenv("LIGHTSHIP_BATCH__DISTRIBUTED_MAP_THRESHOLD", "2")
    cached_settings.cache_clear()
    yield
    monkeypatch.undo()
    cached_settings.cache_clear()


def test_a_large_plan_runs_on_the_distributed_map_over_the_plan_in_s3(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, small_plan_threshold: None
) -> None:
    frame = customers(rows=9000, seed=10).drop(columns=["churned"])
    put(bucket, "big.parquet", parquet_bytes(frame, row_group_size=1000))
    done = run(settings, emulator)
    assert done.output["plan"]["mode"] == "distributed" and done.output["plan"]["chunks"] == []
    assert done.output["plan"]["chunk_count"] == 5
    history = client("stepfunctions").get_execution_history(executionArn=done.arn, maxResults=1000)["events"]
    entered = {e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e}
    assert "ScoreChunksDistributed" in entered and "ScoreChunks" not in entered
    manifest = get_json(cached_client("s3"), done.output["result"]["manifest_uri"])
    assert manifest["rows"]["scored"] == 9000 and len(manifest["outputs"]) == 5


def test_cli_batch_run_prints_the_manifest_and_fails_on_an_empty_day(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put(bucket, "a.csv", csv_bytes(customers(rows=100, seed=2).drop(columns=["churned"])))
    assert main(["batch", "run", "--date", DATE]) == 0
    out = capsys.readouterr().out
    assert "in 100 = scored 100 + rejected 0" in out and "manifest.json" in out
    assert main(["batch", "run", "--date", "2026-11-19"]) == 1
    assert "no input files under" in capsys.readouterr().err
    assert main(["batch", "run", "--date", "20-11-2026"]) == 1


def test_cli_drift_reads_s3_prefixes_and_flags_the_shifted_one(
    emulator: LocalEmulator, bucket: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key="drift/ref/part-0.parquet", Body=parquet_bytes(customers(rows=4000, seed=1)))
    s3.put_object(Bucket=bucket, Key="drift/cur/part-0.csv", Body=csv_bytes(customers(rows=3000, seed=2, shift=1.0)))
    s3.put_object(Bucket=bucket, Key="drift/cur/part-1.parquet", Body=parquet_bytes(customers(rows=3000, seed=3, shift=1.0)))
    out = tmp_path / "report"
    code = main(["drift", "--reference", f"s3://{bucket}/drift/ref/", "--current", f"s3://{bucket}/drift/cur/",
                 "--report", str(out), "--fail-on-drift"])
    assert code == 3
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["current_rows"] == 6000 and {"monthly_spend", "plan"} <= set(report["drifted_features"])
    assert "drift" in capsys.readouterr().out


@pytest.fixture
def small_chunks_with_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The functions' settings with 7-row chunks and ``id`` as the id column."""
    monkeypatch.setenv("LIGHTSHIP_BATCH__CHUNK_ROWS", "7")
    monkeypatch.setenv("LIGHTSHIP_BATCH__ID_COLUMN", "id")
    cached_settings.cache_clear()
    yield
    monkeypatch.undo()
    cached_settings.cache_clear()


def test_every_input_row_is_written_once_by_identity_whatever_the_csv_shape(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, small_chunks_with_ids: None
) -> None:
    frame = customers(rows=40, seed=12).drop(columns=["churned"])
    frame.insert(0, "id", [f"{i:03d}" for i in range(40)])
    frame["mean radius"] = np.arange(40) / 4
    frame["note"] = ["two\r\nlines" if i % 5 == 0 else "" for i in range(40)]
    frame.loc[[3, 17], "monthly_spend"] = np.nan
    frame.loc[[3, 17], "tenure_months"] = np.nan  # required: rejected, and the reject carries its identity
    lines = frame.to_csv(index=False, lineterminator="\r\n").split("\r\n")
    text = "\r\n\r\n".join(lines[:10]) + "\r\n" + "\r\n".join(lines[10:-1])  # blank lines, no final newline
    uri = put(bucket, "shapes.csv", b"\xef\xbb\xbf" + text.encode())
    more = customers(rows=20, seed=13).drop(columns=["churned"])
    more.insert(0, "id", [f"p{i:02d}" for i in range(20)])
    more.to_parquet(parquet := io.BytesIO(), index=False, row_group_size=3)
    second = put(bucket, "more.parquet", parquet.getvalue())

    manifest = get_json(cached_client("s3"), run(settings, emulator).output["result"]["manifest_uri"])

    written = pd.concat([read_parts(manifest["outputs"]).assign(rejected=False),
                         read_parts(manifest["rejects"]).assign(rejected=True)], ignore_index=True)
    got = sorted(zip(written["source_uri"], written["source_row"], written["id"].astype(str), strict=True))
    expected = sorted([(uri, i, f"{i:03d}") for i in range(40)] + [(second, i, f"p{i:02d}") for i in range(20)])
    assert got == expected  # every input identity once: scored or rejected, no duplicate, no gap
    rejected = written[written["rejected"]]
    assert sorted(zip(rejected["id"], rejected["reject_reason"], strict=True)) == [
        ("003", "tenure_months: missing, but training saw no missing values for this feature"),
        ("017", "tenure_months: missing, but training saw no missing values for this feature")]
    scored = written[~written["rejected"]]
    assert "mean radius" in scored.columns and "mean_radius" not in scored.columns
    assert scored.set_index("id").loc["011", "mean radius"] == 11 / 4
    ids = dict(zip(written["id"], written["source_row"], strict=False))
    assert ids["039"] == 39  # the CSV's rows keep their logical numbers past the blank lines
    assert manifest["identity"]["id_column"] == "id" and manifest["chunks"] == 6 + 4  # 40 rows by 7; groups of 3 by 6
    assert {o["version_id"] for o in manifest["input"]["objects"]} != {None}


def test_a_file_replaced_during_a_run_fails_it_loudly_and_writes_no_manifest(
    settings: Settings, emulator: LocalEmulator, live: int, bucket: str, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    uri = put(bucket, "a.csv", csv_bytes(customers(rows=300, seed=6).drop(columns=["churned"])))
    name = f"{settings.project}-batch-plan"
    real = lambda_router.handler_for(name)

    def plan_then_replace(event: dict[str, Any], context: Any) -> Any:
        planned = real(event, context)  # type: ignore[operator]
        put(bucket, "a.csv", csv_bytes(customers(rows=300, seed=60).drop(columns=["churned"])))  # a new version lands
        return planned

    lambda_router.register(name, plan_then_replace)
    try:
        with pytest.raises(RunFailed, match=f"InputChanged: input changed during the run: {uri} was replaced"):
            run(settings, emulator)
    finally:
        lambda_router.register(name, real)
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix=f"batch/reports/date={DATE}/manifest.json")
    assert listed.get("KeyCount", 0) == 0
    (message,) = alerts()
    assert "failed" in message["Subject"] and "was replaced" in message["Message"]
