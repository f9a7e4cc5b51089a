"""Quality runs on the emulator, executing the state machine ``cdk synth`` emits for the quality stack:
predictions captured by serving's writer, labels put by the CLI, ``lightship quality run`` → report in S3."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from batch.model import load_model
from lightship.cli.main import main
from lightship.clients import client
from lightship.datasets import customers
from lightship.deployment.record import Deployment, DeploymentRecord
from lightship.local.emulator import LocalEmulator
from lightship.resources import names_for
from lightship.serving.capture import CaptureWriter
from lightship.settings import Settings
from tests.support.models import register_trained

ROWS, LABELLED = 600, 500


@pytest.fixture
def world(emulator: LocalEmulator, settings: Settings, tmp_path: Path) -> dict[str, Any]:
    """A live version; 600 of its predictions captured today as serving captures them; the true outcomes."""
    resources = emulator.resources
    assert resources is not None
    version = register_trained(settings, resources, customers(rows=2000, seed=7), "churned", approve=True)
    DeploymentRecord(client("dynamodb"), resources.deployment_table).write(
        Deployment(version=version.version, package_arn=version.arn, model_data_url=version.model_data_url, revision=1,
                   action="deploy", reason="test", by="tests", at="2026-11-20T00:00:00Z"),
        None,
    )
    bundle = load_model(client("s3"), version.model_data_url)
    frame = customers(rows=ROWS, seed=21)
    truth = frame.pop("churned").astype(int).to_numpy()
    predictions, proba = bundle.predict_rows(frame[bundle.schema.names].to_numpy(dtype=object))
    assert proba is not None
    ids = [f"c-{i}" for i in range(ROWS)]
    writer = CaptureWriter(client("s3"), resources.data_bucket, settings.capture_prefix, 1.0)
    instances = frame[bundle.schema.names].astype(object).where(frame.notna(), None).to_dict(orient="records")
    writer.add("req-1", version.version, instances, [str(p) for p in predictions], proba.tolist(), ids=ids)
    assert writer.flush()
    return {"version": version.version, "ids": ids, "truth": truth, "proba": proba, "classes": [str(c) for c in bundle.schema.classes],
            "bucket": resources.data_bucket, "today": dt.datetime.now(dt.UTC).date().isoformat(), "tmp": tmp_path}


@pytest.fixture
def alerts(emulator: LocalEmulator, settings: Settings) -> Callable[[], list[dict[str, Any]]]:
    """Messages published to the alerts topic, through an SQS subscription."""
    sqs, sns = client("sqs"), client("sns")
    queue = sqs.create_queue(QueueName="quality-alerts-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=names_for(settings).alerts_topic)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return lambda: [json.loads(m["Body"]) for m in
                    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])]


def _put_labels(world: dict[str, Any], labels: np.ndarray) -> None:
    path = world["tmp"] / "labels.csv"
    pd.DataFrame({"id": world["ids"][:LABELLED], "label": labels[:LABELLED]}).to_csv(path, index=False)
    assert main(["labels", "put", str(path), "--date", world["today"]]) == 0


def _report(world: dict[str, Any], settings: Settings) -> dict[str, Any]:
    key = f"{settings.quality.report_prefix}/date={world['today']}/report.json"
    return dict(json.loads(client("s3").get_object(Bucket=world["bucket"], Key=key)["Body"].read()))


def test_quality_run_through_the_state_machine_reports_scikit_learns_metrics_on_the_joined_rows(
    settings: Settings, world: dict[str, Any], alerts: Callable[[], list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    _put_labels(world, world["truth"])
    capsys.readouterr()
    assert main(["quality", "run", "--date", world["today"]]) == 0
    out = capsys.readouterr().out
    assert "report:" in out and "quality as expected" in out

    # The run was an execution of the synthesized quality state machine, not an in-process call.
    sfn = client("stepfunctions")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == names_for(settings).quality_state_machine)
    [execution] = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    assert execution["status"] == "SUCCEEDED" and execution["name"].startswith(f"quality-{world['today']}-")

    report = _report(world, settings)
    [v] = report["versions"]
    assert (v["version"], v["role"], v["labeled"], v["unlabeled"]) == (world["version"], "live", LABELLED, ROWS - LABELLED)
    y, p = world["truth"][:LABELLED], world["proba"][:LABELLED]
    assert v["realized"]["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, p[:, 1]), abs=1e-12)
    predicted = np.asarray(world["classes"])[p.argmax(axis=1)].astype(int)
    assert v["realized"]["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, predicted), abs=1e-12)
    assert v["realized"]["log_loss"]["value"] == pytest.approx(skm.log_loss(y, p), abs=1e-9)
    assert not report["breach"] and v["verdict"] == "ok"
    assert not [m for m in alerts() if "quality" in m.get("Subject", "").lower()]

    # `lightship quality` alone prints the per-version table; `lightship status` names the last run.
    assert main(["quality"]) == 0
    table = capsys.readouterr().out
    assert f"Quality {world['today']}" in table  # the title; the narrow test console wraps the cells
    assert main(["quality", "--version", str(world["version"] + 1)]) == 1
    assert "has no predictions in the quality run" in capsys.readouterr().err
    assert main(["status", "--json"]) == 0
    quality = json.loads(capsys.readouterr().out)["quality"]
    assert quality["date"] == world["today"] and quality["breach"] is False
    assert quality["report"] == f"s3://{world['bucket']}/{settings.quality.report_prefix}/date={world['today']}/report.json"
    assert [(q["version"], q["labeled"]) for q in quality["versions"]] == [(world["version"], LABELLED)]


def test_labels_that_flip_breach_publish_the_report_and_put_the_metric_the_realized_alarm_watches(
    settings: Settings, world: dict[str, Any], alerts: Callable[[], list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    _put_labels(world, 1 - world["truth"])  # every label flipped: the model is now worse than chance
    assert main(["quality", "run", "--date", world["today"]]) == 0
    report = _report(world, settings)
    assert report["breach"] is True and report["versions"][0]["verdict"] == "below holdout"
    [published] = [m for m in alerts() if m.get("Subject", "").startswith("Lightship quality")]
    assert "realized quality of the live version below its holdout" in published["Message"]

    # The emulator evaluates no alarm: check that the datapoint the run put is the one the alarm reads, over its threshold.
    cloudwatch = client("cloudwatch")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[f"{settings.project}-quality-realized"])["MetricAlarms"]
    now = dt.datetime.now(dt.UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
        StartTime=now - dt.timedelta(hours=1), EndTime=now + dt.timedelta(minutes=5), Period=3600, Statistics=["Maximum"])
    assert max(d["Maximum"] for d in stats["Datapoints"]) >= alarm["Threshold"]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # The estimate's alarm reads its own series, put on every run (0 or 1), under the same dimensions.
    estimated = cloudwatch.list_metrics(Namespace="Lightship", MetricName="EstimatedQualityBreach",
                                        Dimensions=[{"Name": "service", "Value": "quality"}, {"Name": "Role", "Value": "live"}])["Metrics"]
    assert [sorted((d["Name"], d["Value"]) for d in m["Dimensions"]) for m in estimated] == [[("Role", "live"), ("service", "quality")]]
