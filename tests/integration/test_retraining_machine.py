"""The retraining state machine the retraining stack synthesizes, executed on the emulator: each path
of issue 15 in turn on one world (a live version trained by a real job on noisy labels, predictions
captured with their inputs, labels landed as ``lightship labels put`` lands them):

not enough labels -> no run; a failure mid-run -> alert, live untouched; a training job past its budget ->
the same; the gate refuses -> alert
with its reason; a drift alert starts a run, a trigger during it is recorded (once, however often
it arrives), the canary of the retrained version is aborted by its alarm -> Rejected, and the same
dataset and parameters are then refused; ``lightship retrain`` -> gate -> canary -> promoted, with
lineage naming the trigger and the parent. The tests run in order and share the world (module scope):
each training job costs seconds."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from batch.model import load_model
from lightship.cli.main import main
from lightship.clients import client
from lightship.datasets import customers
from lightship.deployment.deploy import deploy
from lightship.deployment.record import Deployment, DeploymentRecord
from lightship.local.alerts_inbox import AlertsInbox
from lightship.local.emulator import LocalEmulator
from lightship.quality import wiring
from lightship.registry.model_registry import ModelRegistry
from lightship.resources import Resources, names_for
from lightship.retraining import dataset as dataset_mod
from lightship.retraining.ledger import RunLedger
from lightship.retraining.start import start_run
from lightship.retraining.triggers import by_person
from lightship.serving.capture import CaptureWriter
from lightship.settings import Settings, load_settings
from lightship.training.workflow import AwsClients, TrainRequest, train_and_register
from tests.integration.release_support import states_entered, wait_for_execution
from tests.integration.rollback_support import wait_for

ENV = {
    "LIGHTSHIP_RETRAINING__COOLDOWN_HOURS": "0",
    "LIGHTSHIP_RETRAINING__POLL_SECONDS": "1",
    "LIGHTSHIP_RETRAINING__MIN_NEW_LABELS": "50",
    "LIGHTSHIP_RETRAINING__ON_DRIFT": "true",
    "LIGHTSHIP_GATE__CLASSIFICATION_MIN": "0.5",  # the parent learns from noisy labels: the fresh ones must have room to help
    "LIGHTSHIP_RELEASE__BAKE_MINUTES": "0.02",
    "LIGHTSHIP_RELEASE__MIN_REQUESTS": "0",
}
CANDIDATE_ALARM = "lightship-candidate-error-rate"


@dataclass
class World:
    settings: Settings
    resources: Resources
    parent: int
    parent_data: str
    today: str
    tmp: Path
    alerts: AlertsInbox
    labeled: int = 0
    ids: list[str] = field(default_factory=list)

    @property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings, client("sagemaker"), client("s3"), self.resources.artifact_bucket)

    @property
    def record(self) -> DeploymentRecord:
        return DeploymentRecord(client("dynamodb"), self.resources.deployment_table)

    @property
    def ledger(self) -> RunLedger:
        return RunLedger(client("dynamodb"), self.resources.deployment_table)

    def add_labeled(self, rows: int, seed: int) -> None:
        """``rows`` live predictions captured with their inputs today, and their true outcomes landed as labels."""
        live = self.record.live()
        assert live is not None
        bundle = load_model(client("s3"), live.model_data_url)
        frame = customers(rows=rows, seed=seed)
        truth = frame.pop("churned").astype(int)
        predictions, proba = bundle.predict_rows(frame[bundle.schema.names].to_numpy(dtype=object))
        assert proba is not None
        ids = [f"s{seed}-{i}" for i in range(rows)]
        writer = CaptureWriter(client("s3"), self.resources.data_bucket, self.settings.capture_prefix, 1.0)
        instances = frame[bundle.schema.names].astype(object).where(frame.notna(), None).to_dict(orient="records")
        writer.add(f"req-{seed}", live.version, instances, [str(p) for p in predictions], proba.tolist(), ids=ids)
        assert writer.flush()
        path = self.tmp / f"labels-{seed}.csv"
        pd.DataFrame({"id": ids, "label": truth}).to_csv(path, index=False)
        landed = wiring.put(self.settings, self.resources, path, self.today)
        assert landed.accepted == rows
        self.labeled += rows
        self.ids += ids

    def run(self, reason: str) -> tuple[str, dict[str, Any]]:
        """Start a run by hand and wait for its execution to end."""
        begun = start_run(load_settings(), self.resources, self.ledger, client("stepfunctions"), by_person(reason, "tests"))
        assert begun.outcome == "started", begun
        return begun.run_id, wait_for_execution(execution_arn(self, begun.run_id), timeout=300)


def execution_arn(world: World, run_id: str) -> str:
    return world.resources.execution_arn(world.resources.retraining_state_machine, run_id)


def executions(world: World) -> list[dict[str, Any]]:
    return list(client("stepfunctions").list_executions(stateMachineArn=world.resources.state_machine_arn(world.resources.retraining_state_machine))["executions"])


def subjects(world: World) -> list[tuple[str, str]]:
    """The retraining run's own alerts received since the last call (alarm and release notifications left out)."""
    return [(m.get("Subject", ""), m.get("Message", "")) for m in world.alerts.messages()
            if str(m.get("Subject", "")).startswith("lightship retraining")]


@pytest.fixture(scope="module")
def world(emulator_session: LocalEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        emulator_session.reset()
        resources = emulator_session.resources
        assert resources is not None
        settings = load_settings()
        tmp = tmp_path_factory.mktemp("retraining")
        # The parent learns from 400 rows of which two thirds have a random label: labels that are right help it.
        frame = customers(rows=400, seed=8)
        rng = np.random.default_rng(3)
        noisy = rng.random(len(frame)) < 0.67
        frame.loc[noisy, "churned"] = rng.integers(0, 2, int(noisy.sum()))
        path = tmp / "parent.csv"
        frame.to_csv(path, index=False)
        s3 = client("s3")
        trained = train_and_register(TrainRequest(data=str(path), target="churned", model="logistic", params={}), settings, resources,
                                     AwsClients(s3=s3, sagemaker=client("sagemaker"), sts=client("sts")), poll_seconds=0.2)
        registry = ModelRegistry(settings, client("sagemaker"), s3, resources.artifact_bucket)
        assert trained.version.status == "Approved", trained.decision.reason
        deploy(registry, DeploymentRecord(client("dynamodb"), resources.deployment_table), trained.version.version, reason="first", by="tests")
        alerts = AlertsInbox(f"arn:aws:sns:{resources.region}:{resources.account}:{names_for(settings).alerts_topic}", "retraining-alerts-test")
        yield World(settings=settings, resources=resources, parent=trained.version.version,
                    parent_data=trained.version.lineage["data"]["uri"], today=dt.datetime.now(dt.UTC).date().isoformat(),
                    tmp=tmp, alerts=alerts)


def test_too_few_new_labels_trains_nothing_and_says_why(world: World) -> None:
    world.add_labeled(30, seed=101)
    run_id, described = world.run("thirty labels")
    assert described["status"] == "SUCCEEDED"
    assert "StartTraining" not in states_entered(described["executionArn"])
    entry = world.ledger.outcome_of(run_id)
    assert entry is not None and entry.outcome == "no_run"
    assert "not enough new labels: 30 new labeled rows" in entry.reason and "retraining.min_new_labels 50" in entry.reason
    assert [v.version for v in world.registry.versions()] == [world.parent]
    assert world.ledger.lock()["state"] == "idle"


def assert_failed_leaving_live_alone(world: World, run_id: str, before: Deployment | None, *, reason: str, message: str) -> None:
    """A failed run: its outcome and reason, one alert that says so, the live version and registry as they were, the lock free."""
    entry = world.ledger.outcome_of(run_id)
    assert entry is not None and entry.outcome == "failed" and reason in entry.reason
    [(subject, said)] = subjects(world)
    assert subject == "lightship retraining failed" and message in said and "live version is untouched" in said
    assert world.record.live() == before and [v.version for v in world.registry.versions()] == [world.parent]
    assert world.ledger.lock()["state"] == "idle"


def test_a_failure_mid_run_alerts_and_leaves_the_live_version_alone(world: World) -> None:
    world.add_labeled(100, seed=102)
    s3, before = client("s3"), world.record.live()
    data = world.parent_data.removeprefix("s3://").split("/", 1)
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket=data[0], Prefix=data[1])["Contents"]]
    body = s3.get_object(Bucket=data[0], Key=key)["Body"].read()
    s3.delete_object(Bucket=data[0], Key=key)  # the parent's data vanishes under the run
    try:
        run_id, described = world.run("data gone")
    finally:
        s3.put_object(Bucket=data[0], Key=key, Body=body)
    assert described["status"] == "FAILED" and described.get("error") == "RetrainingFailed"
    assert states_entered(described["executionArn"])[-2:] == ["Fail", "RetrainingFailed"]
    assert_failed_leaving_live_alone(world, run_id, before, reason="the parent's training data is gone",
                                     message="the parent's training data is gone")


def test_a_training_job_that_fails_alerts_and_leaves_the_live_version_alone(world: World) -> None:
    """The job itself fails (its code is gone from S3: the toolkit cannot fetch it), not the assembly."""
    job = world.registry.version(world.parent).lineage["training_job"]["name"]
    code = json.loads(client("sagemaker").describe_training_job(TrainingJobName=job)["HyperParameters"]["sagemaker_submit_directory"])
    bucket, key = code.removeprefix("s3://").split("/", 1)
    s3, before = client("s3"), world.record.live()
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)
    try:
        run_id, described = world.run("code gone")
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert described["status"] == "FAILED"
    entered = states_entered(described["executionArn"])
    assert "StartTraining" in entered and entered[-3:] == ["TrainingFailed", "Fail", "RetrainingFailed"]
    assert_failed_leaving_live_alone(world, run_id, before, reason="ended Failed", message="ended Failed")


def test_a_training_job_that_outlasts_its_budget_fails_the_run_with_an_alert(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """One look allowed (poll_seconds 1): the job is still running at the first look, so the run fails on its own
    Fail path (alert, outcome, lock freed) long before the machine's timeout would end it with neither."""
    monkeypatch.setenv("LIGHTSHIP_RETRAINING__TRAINING_TIMEOUT_MINUTES", "0.001")
    before = world.record.live()
    run_id, described = world.run("too slow")
    assert described["status"] == "FAILED" and described.get("error") == "RetrainingFailed"
    entered = states_entered(described["executionArn"])
    assert entered[-3:] == ["TrainingTimedOut", "Fail", "RetrainingFailed"] and entered.count("DescribeTraining") == 1
    assert_failed_leaving_live_alone(world, run_id, before, reason="still InProgress after 1 looks",
                                     message="retraining.training_timeout_minutes")


def test_the_gate_refuses_a_retrained_version_that_does_not_beat_the_champion(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTSHIP_GATE__MIN_IMPROVEMENT", "0.9")  # nothing beats the champion by 0.9
    run_id, described = world.run("a demanding gate")
    assert described["status"] == "SUCCEEDED"
    assert {"StartTraining", "WaitForTraining", "DescribeTraining", "Register", "GateApproved"} <= set(states_entered(described["executionArn"]))
    assert "Release" not in states_entered(described["executionArn"])
    held = world.registry.versions()[0]
    assert held.version == world.parent + 1 and held.status == "PendingManualApproval"
    assert f"does not beat champion v{world.parent}" in held.approval_description
    entry = world.ledger.outcome_of(run_id)
    assert entry is not None and entry.outcome == "gate_refused" and held.approval_description in entry.reason
    [(subject, message)] = subjects(world)
    assert subject == f"lightship retraining: version {held.version} held by the gate" and held.approval_description in message
    live = world.record.live()
    assert live is not None and live.version == world.parent and live.release is None


def drift_alert(world: World, run: str) -> None:
    """What a batch run with drift publishes to the alerts topic (batch/finalize.py)."""
    message = f"Batch run {run} for {world.today} with model v{world.parent}.\nRows in 4,000, scored 4,000, rejected 0.\nReport: s3://x/{run}.html"
    client("sns").publish(TopicArn=f"arn:aws:sns:{world.resources.region}:{world.resources.account}:{names_for(world.settings).alerts_topic}",
                          Subject=f"Lightship batch {world.today}: drift in tenure_months", Message=message)


def test_a_drift_alert_starts_one_run_and_a_canary_alarm_rejects_the_retrained_version(world: World) -> None:
    world.add_labeled(1500, seed=103)
    before = len(executions(world))
    drift_alert(world, "run-a")
    [started] = [e for e in executions(world) if e["status"] == "RUNNING"]
    drift_alert(world, "run-b")  # another alert during the run: recorded, not a second run
    drift_alert(world, "run-b")  # the same alert again: recorded once
    drift_alert(world, "run-a")
    assert len(executions(world)) == before + 1
    triggers = [e for e in world.ledger.recent(50) if e.kind == "trigger" and e.details["trigger"]["kind"] == "drift"]
    assert sorted(e.outcome for e in triggers) == ["busy", "started"]
    assert [e.run_id for e in triggers if e.outcome == "busy"] == [started["name"]]
    # The run trains, the gate approves, the canary starts; the candidate's alarm aborts it.
    wait_for(lambda: (r := world.record.live()) is not None and r.action == "release_step", timeout=300, what="the canary's first step")
    candidate = json.loads(world.record.live().release or "{}")["candidate_version"]  # type: ignore[union-attr]
    client("cloudwatch").set_alarm_state(AlarmName=CANDIDATE_ALARM, StateValue="ALARM", StateReason="Threshold Crossed: candidate 5xx")
    wait_for(lambda: world.record.live().action == "release_abort", timeout=20, what="abort")  # type: ignore[union-attr]
    client("cloudwatch").set_alarm_state(AlarmName=CANDIDATE_ALARM, StateValue="OK", StateReason="recovered")
    assert wait_for_execution(started["executionArn"], timeout=60)["status"] == "SUCCEEDED"
    assert states_entered(started["executionArn"]).count("Release") == 1
    entry = world.ledger.outcome_of(started["name"])
    assert entry is not None and entry.outcome == "released" and entry.details["version"] == candidate
    rejected = world.registry.version(candidate)
    assert rejected.status == "Rejected" and rejected.lineage["retraining"]["trigger"]["kind"] == "drift"
    live = world.record.live()
    assert live is not None and live.version == world.parent
    subjects(world)  # drain
    # The same labels again: the same dataset and parameters as the rejected version; refused, nothing trained.
    run_id, described = world.run("again")
    assert described["status"] == "SUCCEEDED" and "StartTraining" not in states_entered(described["executionArn"])
    refused = world.ledger.outcome_of(run_id)
    assert refused is not None and refused.outcome == "refused"
    assert f"are those of version {candidate}, which was rejected" in refused.reason
    [(subject, _)] = subjects(world)
    assert subject == "lightship retraining refused"


def test_retrain_by_hand_goes_through_the_gate_and_a_canary_to_live_with_lineage(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_labeled(500, seed=104)
    assert main(["retrain", "--reason", "fresh labels from the spring campaign"]) == 0
    out = capsys.readouterr().out
    assert "released: version" in out, out
    [entry] = [e for e in world.ledger.recent(5) if e.kind == "outcome"][:1]
    version = int(entry.details["version"])
    release_execution = wait_for(lambda: next((e for e in client("stepfunctions").list_executions(
        stateMachineArn=f"arn:aws:states:{world.resources.region}:{world.resources.account}:stateMachine:{names_for(world.settings).release_state_machine}"
    )["executions"] if e["name"] == entry.details["release_id"]), None), what="the release execution")
    assert wait_for_execution(release_execution["executionArn"], timeout=60)["status"] == "SUCCEEDED"
    live = world.record.live()
    assert live is not None and (live.version, live.action, live.previous_version) == (version, "release_promote", world.parent)
    lineage = world.registry.version(version).lineage["retraining"]
    who = client("sts").get_caller_identity()["Arn"]  # the CLI names the caller, as lightship train's lineage does
    assert lineage["trigger"] == {"kind": "person", "reason": "fresh labels from the spring campaign", "ref": who}
    assert lineage["parent_version"] == world.parent
    counts = lineage["dataset"]["counts"]
    assert counts["new_rows"] == world.labeled and counts["already_in_parent"] == 0
    assert counts["rows"] + counts["holdout_rows"] == 400 + world.labeled and counts["holdout_rows"] > 0
    # The gate compared the retrained version and the champion (the parent) on the same held-out fresh rows.
    same = lineage["same_rows"]
    assert same["champion_version"] == world.parent and same["rows"] == counts["holdout_rows"]
    assert same["challenger"]["value"] > same["champion"]["value"]
    description = world.registry.version(version).approval_description
    assert f"on the same {counts['holdout_rows']:,} labeled rows" in description and f"beats champion v{world.parent}" in description
    holdout = dataset_mod.read_holdout(client("s3").get_object(Bucket=lineage["dataset"]["holdout_uri"].split("/")[2],
                                                               Key=lineage["dataset"]["holdout_uri"].split("/", 3)[3])["Body"].read())
    assert len(holdout) == counts["holdout_rows"] and set(holdout["id"]) <= set(world.ids)
    # The dataset version in S3: the rows, their ids (unique, the parent's then the labels'), the hash the job read.
    uri = lineage["dataset"]["uri"].removeprefix("s3://").split("/", 1)
    s3 = client("s3")
    ids = dataset_mod.read_ids(s3.get_object(Bucket=uri[0], Key=uri[1] + "ids.csv")["Body"].read())
    assert ids.is_unique and len(ids) == counts["rows"] and set(world.ids) == set(ids[400:]) | set(holdout["id"])
    assert set(holdout["id"]).isdisjoint(set(ids))
    data = s3.get_object(Bucket=uri[0], Key=uri[1] + "data/data.csv")["Body"].read()
    assert dataset_mod.sha256(b"data.csv" + data) == lineage["dataset"]["sha256"] == world.registry.version(version).evaluation["data"]["sha256"]
    manifest = json.loads(s3.get_object(Bucket=uri[0], Key=uri[1] + "manifest.json")["Body"].read())
    assert manifest["sources"]["parent"]["data_uri"] == world.parent_data and manifest["trigger"]["kind"] == "person"
    assert main(["status", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["retraining"]  # the last ten entries, newest first
    assert runs[0]["outcome"] == "released" and runs[0]["details"]["version"] == version
    assert {"released", "refused", "gate_refused", "failed", "busy"} <= {r["outcome"] for r in runs}
    assert main(["status"]) == 0
    assert "retraining (newest first)" in capsys.readouterr().out
    assert world.ledger.lock()["state"] == "idle"
