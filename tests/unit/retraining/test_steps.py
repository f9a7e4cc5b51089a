"""The retraining machine's tasks called directly (moto in process): each is safe to run twice with the same
input, as Step Functions' retries deliver it (one dataset verdict, one model package, one release, one alert);
the same labels twice train nothing; the canary only ever goes to a newer version; a version the gate held is
not trained again from the same dataset and parameters."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lightship.bundle.model_bundle import pack_bundle
from lightship.clients import cached_client
from lightship.datasets import customers
from lightship.registry.model_registry import ModelVersion
from lightship.retraining import dataset as dataset_mod
from lightship.retraining import steps
from lightship.retraining.ledger import RunLedger
from lightship.retraining.steps import Collaborators, RetrainingError
from lightship.training.data import load_training_data
from lightship.training.run import train, write
from tests.support.record_world import ACCOUNT, World, ago

TARGET = "churned"
PARENT_JOB = "lightship-parent-job"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"
TRIGGER = {"kind": "person", "reason": "tests", "ref": "tests"}


@dataclass
class Loop:
    world: World
    deps: Collaborators
    parent: ModelVersion
    labeled: pd.DataFrame

    def state(self, run_id: str, **extra: Any) -> dict[str, Any]:
        return {"run_id": run_id, "trigger": TRIGGER, "poll_seconds": 60, **extra}

    def package_count(self) -> int:
        return len(self.world.registry().arns())

    def release_executions(self) -> list[dict[str, Any]]:
        arn = self.deps.resources.state_machine_arn(self.deps.resources.release_state_machine)
        return list(cached_client("stepfunctions").list_executions(stateMachineArn=arn)["executions"])


def _bundle(frame: pd.DataFrame) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        frame.to_csv(path, index=False)
        result = train(load_training_data(path, TARGET), "logistic", {})
        return pack_bundle(write(result, Path(tmp) / "model"))


def _job_request(name: str, data_uri: str, artifact_bucket: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": "sklearn-image", "TrainingInputMode": "File"},
        "HyperParameters": {"target": json.dumps(TARGET), "model": '"logistic"', "seed": "42", "sagemaker_program": '"train.py"'},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": data_uri, "S3DataDistributionType": "FullyReplicated"}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{artifact_bucket}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


def finished_job(world: World, request: dict[str, Any], frame: pd.DataFrame) -> None:
    """What SageMaker leaves behind a completed job: the job (moto says Completed) and its model.tar.gz."""
    cached_client("sagemaker").create_training_job(RoleArn=ROLE, **{k: v for k, v in request.items() if k != "Tags"})
    key = f"models/{request['TrainingJobName']}/output/model.tar.gz"
    cached_client("s3").put_object(Bucket=world.resources.artifact_bucket, Key=key, Body=_bundle(frame))


def register_parent(world: World, *, data_uri: str, sha256: str, job: str, extra: dict[str, Any] | None = None) -> ModelVersion:
    evaluation = {"task": "classification", "model": "logistic", "metrics": {"roc_auc": 0.8, "accuracy": 0.8},
                  "data": {"sha256": sha256}, "environment": {"sklearn_version": "1.9.1"},
                  "lineage": {"git": {"commit": "c"}, "data": {"uri": data_uri}, "training_job": {"name": job}, **(extra or {})}}
    version, _ = world.registry().register(model_data_url=f"s3://{world.resources.artifact_bucket}/models/{job}/output/model.tar.gz",
                                           evaluation=evaluation, image="sklearn-image", training_job_name=job,
                                           training_job_arn=f"arn:aws:sagemaker:{world.resources.region}:{ACCOUNT}:training-job/{job}")
    world.versions[version.version] = version
    return version


@pytest.fixture
def loop(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Loop]:
    r = world.resources
    s3, sagemaker = cached_client("s3"), cached_client("sagemaker")
    s3.create_bucket(Bucket=r.data_bucket)
    iam = cached_client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cached_client("stepfunctions").create_state_machine(
        name=r.release_state_machine, roleArn=role, definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    frame = customers(rows=120, seed=5)
    body = frame.to_csv(index=False).encode()
    s3.put_object(Bucket=r.data_bucket, Key="training/parent/customers.csv", Body=body)
    data_uri = f"s3://{r.data_bucket}/training/parent/"
    request = _job_request(PARENT_JOB, data_uri, r.artifact_bucket)
    sagemaker.create_training_job(RoleArn=ROLE, **request)
    parent = register_parent(world, data_uri=data_uri, sha256=dataset_mod.sha256(b"customers.csv" + body), job=PARENT_JOB)
    assert parent.status == "Approved"
    world.put_live(parent.version, ago(60))
    labels = customers(rows=60, seed=6)
    labeled = labels.drop(columns=[TARGET]).assign(label=labels[TARGET].astype(str))
    labeled.insert(0, "id", [f"n{i}" for i in range(len(labeled))])
    settings = world.settings.model_copy(update={"retraining": world.settings.retraining.model_copy(
        update={"min_new_labels": 1, "holdout_fraction": 0.5})})
    deps = Collaborators(settings=settings, resources=r, s3=s3, sagemaker=sagemaker, sts=cached_client("sts"), sns=cached_client("sns"),
                         stepfunctions=cached_client("stepfunctions"), dynamodb=cached_client("dynamodb"))
    out = Loop(world=world, deps=deps, parent=parent, labeled=labeled)
    # The window's labeled rows as the quality join gives them (tests/unit/retraining/test_labeled.py covers the join).
    monkeypatch.setattr(steps, "labeled_rows", lambda *a, **k: out.labeled.copy())
    yield out


def _assembled_version_goes_live(loop: Loop, assembled: dict[str, Any], job: str) -> ModelVersion:
    """What a released and promoted run leaves: a version trained on the assembled dataset, live."""
    dataset = assembled["dataset"]
    v = register_parent(loop.world, data_uri=f"{dataset['uri']}data/", sha256=dataset["sha256"], job=job)
    sagemaker = cached_client("sagemaker")
    sagemaker.create_training_job(RoleArn=ROLE, **_job_request(job, f"{dataset['uri']}data/", loop.world.resources.artifact_bucket))
    loop.world.put_live(v.version, ago(5))
    return v


# ---- assemble: held-out labels are not new again -------------------------------------------------
def test_the_same_labels_twice_train_nothing_the_second_time(loop: Loop) -> None:
    first = steps.assemble(loop.state("run-1"), loop.deps)
    counts = first["dataset"]["counts"]
    assert first["verdict"] == "train" and counts["new_rows"] == 60 and 0 < counts["holdout_rows"] < 60
    _assembled_version_goes_live(loop, first, "lightship-rt-1")
    again = steps.assemble(loop.state("run-2"), loop.deps)
    assert again["verdict"] == "no_run" and again["dataset"]["counts"]["new_rows"] == 0
    assert again["dataset"]["counts"]["already_in_parent"] == 60
    assert "not enough new labels: 0 new labeled rows" in again["reason"]
    assert again["dataset"]["sha256"] == first["dataset"]["sha256"]  # the very bytes the parent trained on


def test_new_rows_that_are_all_held_out_leave_the_parents_data_and_the_run_says_so(loop: Loop) -> None:
    first = steps.assemble(loop.state("run-1"), loop.deps)
    _assembled_version_goes_live(loop, first, "lightship-rt-1")
    held = next(i for i in (f"late-{k}" for k in range(100)) if dataset_mod.held_out(pd.Series([i]), 0.5)[0])
    loop.labeled = pd.concat([loop.labeled, loop.labeled.iloc[:1].assign(id=held)], ignore_index=True)  # one more label, held out
    out = steps.assemble(loop.state("run-2"), loop.deps)
    assert out["dataset"]["counts"]["new_rows"] == 1 and out["dataset"]["counts"]["holdout_rows"] == 1
    assert out["verdict"] == "no_run" and out["dataset"]["sha256"] == first["dataset"]["sha256"]
    assert f"the assembled training data is the parent's (version {loop.parent.version + 1}" in out["reason"]


def test_the_assembled_dataset_records_every_id_it_held_out(loop: Loop) -> None:
    out = steps.assemble(loop.state("run-1"), loop.deps)
    bucket, prefix = out["dataset"]["uri"].removeprefix("s3://").split("/", 1)
    s3 = cached_client("s3")
    held = dataset_mod.read_ids(s3.get_object(Bucket=bucket, Key=f"{prefix}held_out_ids.csv")["Body"].read())
    holdout = dataset_mod.read_holdout(s3.get_object(Bucket=bucket, Key=f"{prefix}holdout.csv")["Body"].read())
    ids = dataset_mod.read_ids(s3.get_object(Bucket=bucket, Key=f"{prefix}ids.csv")["Body"].read())
    assert sorted(held) == sorted(holdout["id"]) and len(held) == out["dataset"]["counts"]["holdout_rows"]
    assert set(held).isdisjoint(ids) and set(held) | set(ids[120:]) == {f"n{i}" for i in range(60)}


# ---- register: one package per training job --------------------------------------------------------
def test_register_twice_with_the_same_input_registers_one_version(loop: Loop) -> None:
    request = _job_request("lightship-rt-job-1", loop.parent.lineage["data"]["uri"], loop.world.resources.artifact_bucket)
    finished_job(loop.world, request, customers(rows=120, seed=5))
    state = loop.state("run-1", assembled={"job": request, "dataset": {"parent_version": loop.parent.version}})
    before = loop.package_count()
    first = steps.register(state, loop.deps)
    again = steps.register(state, loop.deps)
    assert loop.package_count() == before + 1
    assert again == first and first["version"] == loop.parent.version + 1
    assert loop.world.registry().version(first["version"]).lineage["training_job"]["name"] == "lightship-rt-job-1"


# ---- release: one release per run, never to an older version ----------------------------------------
def _approved_candidate(loop: Loop) -> ModelVersion:
    held = register_parent(loop.world, data_uri=loop.parent.lineage["data"]["uri"], sha256="1" * 64, job="lightship-rt-job-2")
    return loop.world.registry().approve(held.version, "tests", "tests")  # the same metric as the champion: held, so approve


def test_release_twice_with_the_same_input_starts_one_release(loop: Loop) -> None:
    candidate = _approved_candidate(loop)
    assert candidate.status == "Approved"
    state = loop.state("retrain-20270610T050000-abc123", registered={"version": candidate.version, "approved": True, "reason": "ok"})
    first = steps.release(state, loop.deps)
    again = steps.release(state, loop.deps)
    assert again == first and first["release_id"] == f"v{candidate.version}-retrain-20270610T050000-abc123"
    [execution] = loop.release_executions()
    assert execution["name"] == first["release_id"]
    live = loop.world.record().live()
    assert live is not None and json.loads(live.release or "{}")["id"] == first["release_id"]
    assert [h.action for h in loop.world.record().history()].count("release_start") == 1


def test_a_repeat_after_the_canary_ended_is_still_the_same_release(loop: Loop) -> None:
    candidate = _approved_candidate(loop)
    state = loop.state("run-9", registered={"version": candidate.version, "approved": True, "reason": "ok"})
    first = steps.release(state, loop.deps)
    loop.world.put_live(candidate.version, ago(0))  # the canary promoted it before the retry arrived
    assert steps.release(state, loop.deps) == first and len(loop.release_executions()) == 1


@pytest.mark.parametrize("offset", [0, -1])
def test_the_canary_never_goes_to_a_version_that_is_not_newer_than_the_live_one(loop: Loop, offset: int) -> None:
    newer = _approved_candidate(loop)
    loop.world.put_live(newer.version, ago(1))  # the newer version is live: releasing the parent would go back
    target = newer.version + offset  # the live version itself, or the one before it
    before = loop.world.record().live()
    with pytest.raises(RetrainingError, match=f"version {target} is not newer than the live version {newer.version}: not released"):
        steps.release(loop.state("run-3", registered={"version": target, "approved": True, "reason": "ok"}), loop.deps)
    assert loop.world.record().live() == before and before is not None and before.release is None
    assert loop.release_executions() == []


# ---- twins: a version rejected or held by the gate is not trained again as it was --------------------
@pytest.mark.parametrize("status", ["Rejected", "PendingManualApproval"])
def test_a_run_that_would_reproduce_a_rejected_or_held_version_is_refused(loop: Loop, status: str) -> None:
    first = steps.assemble(loop.state("run-1"), loop.deps)
    params = {k: v for k, v in first["job"]["HyperParameters"].items() if not k.startswith("sagemaker_")}
    twin = register_parent(loop.world, data_uri=f"{first['dataset']['uri']}data/", sha256=first["dataset"]["sha256"],
                           job="lightship-rt-twin", extra={"retraining": {"parameters": params}})
    registry = loop.world.registry()
    if status == "Rejected":
        registry.reject(twin.version, "canary aborted", "tests")
    else:
        cached_client("sagemaker").update_model_package(ModelPackageArn=twin.arn, ModelApprovalStatus=status,
                                                         ApprovalDescription="gate: roc_auc does not beat champion v1")
    assert registry.version(twin.version).status == status
    again = steps.assemble(loop.state("run-2"), loop.deps)
    assert again["verdict"] == "refused"
    assert f"are those of version {twin.version}, which " in again["reason"]
    assert ("was rejected" if status == "Rejected" else "the gate held (gate: roc_auc does not beat champion v1)") in again["reason"]


# ---- finish: one outcome, one alert ------------------------------------------------------------------
def test_finish_twice_alerts_once(loop: Loop) -> None:
    ledger = RunLedger(cached_client("dynamodb"), loop.deps.resources.deployment_table)
    run = ledger.begin("person:x", TRIGGER, cooldown_hours=24, stale_run_hours=12).run_id
    state = loop.state(run, assembled={"verdict": "train", "dataset": {}}, registered={"version": 2, "approved": False,
                                                                                      "reason": "does not beat champion v1"})
    first = steps.finish(state, loop.deps)
    again = steps.finish(state, loop.deps)
    assert first == again and first["outcome"] == "gate_refused"
    alerts = loop.world.alerts()
    assert [a["Subject"] for a in alerts] == ["lightship retraining: version 2 held by the gate"]
    assert [e.outcome for e in ledger.recent() if e.kind == "outcome"] == ["gate_refused"]

