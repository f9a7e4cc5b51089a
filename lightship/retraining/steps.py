"""The retraining state machine's tasks: assemble, register, release, and the three endings.

The machine (``infra/stacks/retraining.py``) runs::

    Assemble -> (no_run | refused) -> Finish
             -> train: CreateTrainingJob -> Wait -> DescribeTrainingJob -> (loop | Register | Failed | timed out: Failed)
    Register -> approved: Release (a canary with the default schedule) -> Finish
             -> not approved: Finish (alert with the gate's reason)
    a failure anywhere -> Failed (alert; the live version is untouched)

:func:`run_task` does the work with collaborators passed in, so the handler, the emulator and the
tests run the same code. A retraining run reuses the live version's training job: its image, code
(``sagemaker_submit_directory``) and hyperparameters; only the data is new. So the lineage of the
new version names its parent, the trigger and the assembled dataset.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from lightship.bundle.fetch import fetch_bundle
from lightship.bundle.model_bundle import load_bundle
from lightship.deployment.record import DeploymentRecord
from lightship.errors import LightshipError, TrainingJobFailed
from lightship.quality import store
from lightship.registry.gate import metric_for
from lightship.registry.lineage import s3_objects
from lightship.registry.model_registry import APPROVED, PENDING, REJECTED, ModelRegistry, ModelVersion
from lightship.registry.same_rows import SameRows
from lightship.release.controller import make_plan
from lightship.release.launch import launch
from lightship.resources import Resources
from lightship.retraining import dataset as dataset_mod
from lightship.retraining import ledger as ledger_mod
from lightship.retraining.labeled import labeled_rows
from lightship.retraining.ledger import RunLedger
from lightship.s3uri import S3Uri
from lightship.settings import RetrainingSettings, Settings
from lightship.training.data import read_frame
from lightship.training.launcher import JobOutcome
from lightship.training.same_rows import compare
from lightship.training.workflow import AwsClients, finished_run, job_name_for, register_run

BY = "retraining state machine"
HOLDOUT_FILE = "holdout.csv"  # the gate's rows: this run's held-out new labeled rows, with features and target
HELD_OUT_FILE = "held_out_ids.csv"  # every id seen but not trained on (this run's and its ancestors' held-out rows)
IDS_FILE = "ids.csv"
TRAIN, NO_RUN, REFUSED = "train", "no_run", "refused"


class RetrainingError(LightshipError):
    """A retraining run cannot go on; the message says why (the machine alerts with it)."""


@dataclass
class Collaborators:
    settings: Settings
    resources: Resources
    s3: Any
    sagemaker: Any
    sts: Any
    sns: Any
    stepfunctions: Any
    dynamodb: Any

    @property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings, self.sagemaker, self.s3, self.resources.artifact_bucket)

    @property
    def record(self) -> DeploymentRecord:
        return DeploymentRecord(self.dynamodb, self.resources.deployment_table)

    @property
    def ledger(self) -> RunLedger:
        return RunLedger(self.dynamodb, self.resources.deployment_table)

    @property
    def alerts_topic_arn(self) -> str:
        return self.resources.alerts_topic_arn


def run_task(event: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    action = event.get("action")
    state = dict(event.get("state") or {})
    run_id = str(state.get("run_id") or "")
    if not run_id:
        raise ValueError(f"retraining task {action!r}: the state has no run_id: {state}")
    if action == "assemble":
        return assemble(state, deps)
    if action == "register":
        return register(state, deps)
    if action == "release":
        return release(state, deps)
    if action == "finish":
        return finish(state, deps)
    if action == "fail":
        return fail(state, deps)
    raise ValueError(f"unknown retraining task action {action!r}")


# ---- assemble ------------------------------------------------------------------------------
def parent_job(deps: Collaborators, parent: ModelVersion) -> dict[str, Any]:
    name = parent.lineage.get("training_job", {}).get("name")
    if not name:
        raise RetrainingError(f"version {parent.version} names no training job in its lineage: retraining reuses its job's code and parameters")
    try:
        return dict(deps.sagemaker.describe_training_job(TrainingJobName=name))
    except Exception as exc:  # noqa: BLE001 - moto and AWS differ in the "not found" error type
        raise RetrainingError(f"version {parent.version}'s training job {name} cannot be described ({exc}): retraining reuses its code and parameters") from exc


@dataclass(frozen=True)
class ParentRows:
    frame: pd.DataFrame  # the parent's training rows with a target
    ids: pd.Series  # one per row of ``frame``
    held_out: pd.Series  # ids the parent's dataset held out of training (an assembled dataset's held_out_ids.csv)
    objects: list[dict[str, Any]]  # what was read (lineage)


def parent_rows(deps: Collaborators, data_uri: str, target: str) -> ParentRows:
    """The parent's training rows (with a target), their ids, the ids it held out, and the objects read."""
    uri = S3Uri.parse(data_uri)
    objects = s3_objects(deps.s3, uri)
    if not objects:
        raise RetrainingError(f"{data_uri}: the parent's training data is gone")
    frames, ids = [], []
    with tempfile.TemporaryDirectory(prefix="retrain-parent-") as tmp:
        for obj in sorted(objects, key=lambda o: o["key"]):
            path = Path(tmp) / Path(obj["key"]).name
            deps.s3.download_file(uri.bucket, obj["key"], str(path))
            frame = read_frame(path)
            frames.append(frame)
            ids.append(dataset_mod.default_ids(obj["key"], len(frame)))
    frame = pd.concat(frames, ignore_index=True)
    row_ids = pd.concat(ids, ignore_index=True)
    held_out = pd.Series(dtype=object)
    folder = _dataset_folder(uri)
    if folder is not None:  # an assembled dataset: its rows keep the ids recorded beside it, and it names what it held out
        row_ids = dataset_mod.read_ids(store.get(deps.s3, uri.bucket, f"{folder}/{IDS_FILE}"))
        held_out = _held_out_of(deps, uri.bucket, folder)
    keep = frame[target].notna()
    return ParentRows(frame=frame[keep].reset_index(drop=True), ids=row_ids[keep.to_numpy()].reset_index(drop=True),
                      held_out=held_out, objects=objects)


def _held_out_of(deps: Collaborators, bucket: str, folder: str) -> pd.Series:
    """``held_out_ids.csv``; a dataset written before it existed names its held-out rows in ``holdout.csv`` only."""
    for name, read in ((HELD_OUT_FILE, dataset_mod.read_ids), (HOLDOUT_FILE, lambda body: dataset_mod.read_holdout(body)[dataset_mod.ID])):
        try:
            body = store.get(deps.s3, bucket, f"{folder}/{name}")
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"NoSuchKey", "404"}:
                raise
            continue
        return read(body).astype(str)
    return pd.Series(dtype=object)


def assemble(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    settings, r = deps.settings, deps.settings.retraining
    live = deps.record.live()
    if live is None:
        raise RetrainingError("no version is live: retraining starts from the live version's data (lightship deploy N)")
    parent = deps.registry.version(live.version)
    job = parent_job(deps, parent)
    hps = dict(job["HyperParameters"])
    target = json.loads(hps["target"])
    rows = parent_rows(deps, parent.lineage["data"]["uri"], target)
    features = [c for c in rows.frame.columns if c != target]
    day = str(state.get("date") or dt.datetime.now(dt.UTC).date().isoformat())
    labeled = labeled_rows(deps.s3, deps.resources.data_bucket, capture_prefix=settings.capture_prefix,
                           batch_prefix=settings.batch_output_prefix, labels_prefix=settings.quality.labels_prefix,
                           dates=store.window_dates(day, r.window_days), id_column=settings.batch.id_column, features=features)
    assembled = dataset_mod.assemble(rows.frame, rows.ids, labeled, target, holdout_fraction=r.holdout_fraction,
                                     parent_held_out=rows.held_out)
    summary = {"version": assembled.version, "sha256": assembled.sha256, "counts": assembled.counts, "parent_version": parent.version,
               "window": {"days": r.window_days, "last": day}, "target": target}
    if assembled.counts["new_rows"] < r.min_new_labels:
        reason = (f"not enough new labels: {assembled.counts['new_rows']} new labeled rows in the {r.window_days} days to {day} "
                  f"(retraining.min_new_labels {r.min_new_labels}); nothing trained")
        return {"verdict": NO_RUN, "reason": reason, "dataset": summary}
    if assembled.sha256 == parent.evaluation.get("data", {}).get("sha256"):
        reason = (f"the assembled training data is the parent's (version {parent.version}, sha256 {assembled.sha256[:16]}): "
                  f"its {assembled.counts['new_rows']} new labeled rows are all held out; nothing trained")
        return {"verdict": NO_RUN, "reason": reason, "dataset": summary}
    params = {k: v for k, v in hps.items() if not k.startswith("sagemaker_")}
    twin = _twin(deps.registry, assembled.sha256, params)
    if twin is not None:
        why = "was rejected" if twin.status == REJECTED else f"the gate held ({twin.approval_description or twin.status})"
        reason = (f"the assembled dataset {assembled.version} and parameters are those of version {twin.version}, which {why}: "
                  "retraining would reproduce it; nothing trained")
        return {"verdict": REFUSED, "reason": reason, "dataset": summary}
    prefix = f"{settings.training_prefix.strip('/')}/{r.datasets_prefix.strip('/')}/{assembled.version}"
    bucket = deps.resources.data_bucket
    data_uri = S3Uri(bucket, f"{prefix}/data/")
    deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/data/{dataset_mod.DATA_FILE}", Body=assembled.data_bytes, ContentType="text/csv")
    deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/{IDS_FILE}", Body=dataset_mod.ids_csv(assembled.ids), ContentType="text/csv")
    deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/{HELD_OUT_FILE}", Body=dataset_mod.ids_csv(assembled.held_out_ids),
                       ContentType="text/csv")
    if len(assembled.holdout):  # the gate's same rows: not in data/, which is the training channel
        deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/{HOLDOUT_FILE}", Body=dataset_mod.holdout_csv(assembled), ContentType="text/csv")
        summary["holdout_uri"] = f"s3://{bucket}/{prefix}/{HOLDOUT_FILE}"
    sources = {"parent": {"version": parent.version, "data_uri": parent.lineage["data"]["uri"], "objects": rows.objects},
               "labels": {"window": {"days": r.window_days, "last": day}, "rows": assembled.counts["labeled_rows"]}}
    manifest = dataset_mod.manifest(assembled, sources=sources, trigger=dict(state.get("trigger") or {}), parent_version=parent.version)
    manifest["data_uri"] = str(data_uri)
    deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/manifest.json", Body=json.dumps(manifest, indent=2, sort_keys=True).encode(),
                       ContentType="application/json")
    model = json.loads(hps.get("model", '"model"'))
    name = job_name_for(deps.resources, str(model), retraining=True)
    request = {
        "TrainingJobName": name,
        "AlgorithmSpecification": job["AlgorithmSpecification"],
        "HyperParameters": hps,
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": str(data_uri), "S3DataDistributionType": "FullyReplicated"}}}],
        "OutputDataConfig": {"S3OutputPath": str(S3Uri(deps.resources.artifact_bucket, settings.model_prefix))},
        "ResourceConfig": job["ResourceConfig"],
        "StoppingCondition": job["StoppingCondition"],
        "Tags": [{"Key": "project", "Value": settings.project}, {"Key": "retraining-run", "Value": str(state["run_id"])}],
    }
    summary["uri"] = f"s3://{bucket}/{prefix}/"
    return {"verdict": TRAIN, "reason": f"training on {assembled.counts['rows']} rows ({assembled.counts['new_rows']} new)",
            "dataset": summary, "job": request, "max_polls": max_polls(r, int(state.get("poll_seconds") or r.poll_seconds))}


def max_polls(r: RetrainingSettings, poll_seconds: int) -> int:
    """How many looks at the training job before the run gives up on it (``training_timeout_minutes``)."""
    return max(1, math.ceil(r.training_timeout_minutes * 60 / poll_seconds))


def _twin(registry: ModelRegistry, sha256: str, params: dict[str, Any]) -> ModelVersion | None:
    """A version trained on exactly this dataset with these parameters that was Rejected (a canary or a person) or
    that the gate held (PendingManualApproval): retraining would bring it back as it was, to the same verdict."""
    for status in (REJECTED, PENDING):
        for version in registry.versions(status):
            data = version.evaluation.get("data", {})
            if data.get("sha256") == sha256 and version.lineage.get("retraining", {}).get("parameters") == params:
                return version
    return None


def _dataset_folder(uri: S3Uri) -> str | None:
    """The folder of an assembled dataset whose training channel is ``uri`` (``.../<version>/data/``), else None."""
    key = uri.key.rstrip("/")
    return key.rsplit("/", 1)[0] if key.endswith("/data") else None


# ---- register ------------------------------------------------------------------------------
def register(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    assembled = state["assembled"]
    request = assembled["job"]
    name = request["TrainingJobName"]
    earlier = registered_for(deps.registry, name)
    if earlier is not None:  # a retried task: the first attempt registered this job's version (and the gate decided)
        gate = earlier.evaluation.get("gate", {})
        return {"version": earlier.version, "approved": earlier.status == APPROVED,
                "reason": str(earlier.approval_description or gate.get("reason", ""))}
    d = deps.sagemaker.describe_training_job(TrainingJobName=name)
    outcome = JobOutcome(name=name, arn=d["TrainingJobArn"], status=d["TrainingJobStatus"], failure_reason=d.get("FailureReason"),
                         model_data_url=d.get("ModelArtifacts", {}).get("S3ModelArtifacts"), description=d)
    hps = request["HyperParameters"]
    params = {k: v for k, v in hps.items() if not k.startswith("sagemaker_")}
    try:
        run = finished_run(outcome, request["AlgorithmSpecification"]["TrainingImage"], int(json.loads(hps.get("seed", "0"))), deps.s3)
    except TrainingJobFailed as exc:
        raise RetrainingError(str(exc)) from exc
    data = S3Uri.parse(request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"])
    extra = {"retraining": {"run_id": state["run_id"], "trigger": state.get("trigger", {}),
                            "parent_version": assembled["dataset"]["parent_version"], "dataset": assembled["dataset"],
                            "parameters": params}}
    same_rows = compare_with_champion(deps, assembled["dataset"], run.bundle_bytes)
    if same_rows is not None:
        extra["retraining"]["same_rows"] = same_rows.to_dict()
    clients = AwsClients(s3=deps.s3, sagemaker=deps.sagemaker, sts=deps.sts)
    trained = register_run(deps.settings, deps.resources, clients, run, data=data, objects=s3_objects(deps.s3, data),
                           hyperparameters={k: json.loads(v) for k, v in params.items()}, extra_lineage=extra, same_rows=same_rows)
    return {"version": trained.version.version, "approved": trained.decision.approved, "reason": trained.decision.reason}


def registered_for(registry: ModelRegistry, training_job: str) -> ModelVersion | None:
    """The version already registered from ``training_job`` (its lineage names the job), if any."""
    for version in registry.versions():
        if training_job in (version.customer_metadata.get("training_job"), version.lineage.get("training_job", {}).get("name")):
            return version
    return None


def compare_with_champion(deps: Collaborators, dataset: dict[str, Any], challenger_bundle: bytes) -> SameRows | None:
    """The challenger and the registry's champion scored on the run's held-out labeled rows (None: no rows or no champion)."""
    uri = dataset.get("holdout_uri")
    champion = deps.registry.champion()
    if not uri or champion is None:
        return None
    holdout = S3Uri.parse(uri)
    frame = dataset_mod.read_holdout(store.get(deps.s3, holdout.bucket, holdout.key)).drop(columns=[dataset_mod.ID])
    champion_bundle = fetch_bundle(deps.s3, champion.model_data_url, runtime="sklearn")
    challenger = load_bundle(challenger_bundle, runtime="sklearn")
    task = str(challenger.evaluation["task"])
    metric, _ = metric_for(task, deps.settings.gate)
    window = dataset.get("window") or {}
    where = f"labeled rows of the {window.get('days', '?')} days to {window.get('last', '?')} held out of training"
    return compare(challenger, champion_bundle, frame, target=str(dataset["target"]), task=task, metric=metric,
                   champion_version=champion.version, where=where, confidence=deps.settings.quality.confidence)


# ---- release -------------------------------------------------------------------------------
def release_id_for(version: int, run_id: str) -> str:
    """The run's release of ``version`` (also its execution's name): the same on every attempt of the task."""
    return f"v{version}-{run_id}"


def release(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    """Start the canary of the registered version; a repeat (the task retried) finds it started and succeeds."""
    version = int(state["registered"]["version"])
    plan = make_plan(deps.settings.release)
    rid = release_id_for(version, str(state["run_id"]))
    said = f"version {version} released as a canary ({' -> '.join(f'{s:g}' for s in plan.steps)} %)"
    execution_arn = deps.resources.execution_arn(deps.resources.release_state_machine, rid)
    if _execution_exists(deps.stepfunctions, execution_arn):  # checked first: by now the canary may even be promoted
        return {"release_id": rid, "execution_arn": execution_arn, "reason": said}
    live = deps.record.live()
    if live is None:
        raise RetrainingError(f"no version is live any more: version {version} is not released")
    if version <= live.version:  # never a canary back to an older version: no oscillation
        raise RetrainingError(f"version {version} is not newer than the live version {live.version}: not released")
    trigger = state.get("trigger", {})
    sfn_arn = deps.resources.state_machine_arn(deps.resources.release_state_machine)
    launched = launch(deps.registry, deps.record, deps.stepfunctions, sfn_arn, version, plan,
                      reason=f"retraining run {state['run_id']} ({trigger.get('kind', '?')}: {trigger.get('reason', '')})"[:500],
                      by=f"{BY} ({state['run_id']})", release_id=rid)
    assert launched.outcome.release is not None
    return {"release_id": launched.outcome.release.id, "execution_arn": launched.execution_arn, "reason": said}


def _execution_exists(stepfunctions: Any, execution_arn: str) -> bool:
    try:
        stepfunctions.describe_execution(executionArn=execution_arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return False
        raise
    return True


# ---- endings -------------------------------------------------------------------------------
def finish(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    """The run's outcome in the ledger; an alert when the gate held the version or the run was refused."""
    run_id = str(state["run_id"])
    assembled = state.get("assembled") or {}
    registered = state.get("registered") or {}
    released = state.get("released") or {}
    details = {"trigger": state.get("trigger", {}), "dataset": assembled.get("dataset"), "version": registered.get("version"),
               "release_id": released.get("release_id")}
    subject = None
    if released:
        outcome, reason = ledger_mod.RELEASED, released["reason"]
    elif registered:
        outcome = ledger_mod.GATE_REFUSED
        reason = f"version {registered['version']} held by the gate: {registered['reason']}; nothing else changed"
        subject = f"{deps.settings.project} retraining: version {registered['version']} held by the gate"
    elif assembled.get("verdict") == REFUSED:
        outcome, reason = ledger_mod.REFUSED, str(assembled["reason"])
        subject = f"{deps.settings.project} retraining refused"
    else:
        outcome, reason = ledger_mod.NO_RUN, str(assembled.get("reason", "nothing to do"))
    # The alert only once the ledger took the outcome: a retried Finish finds the run finished and says nothing again.
    if deps.ledger.finish(run_id, outcome, reason, details) and subject is not None:
        _alert(deps, subject, run_id, reason)
    return {"outcome": outcome, "reason": reason}


def fail(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    run_id = str(state["run_id"])
    error = state.get("error") or {}
    reason = f"retraining run {run_id} failed: {_cause(error)}; the live version is untouched"
    if deps.ledger.finish(run_id, ledger_mod.FAILED, reason, {"trigger": state.get("trigger", {}), "error": error}):
        _alert(deps, f"{deps.settings.project} retraining failed", run_id, reason)
    return {"outcome": ledger_mod.FAILED, "reason": reason}


def _alert(deps: Collaborators, subject: str, run_id: str, reason: str) -> None:
    deps.sns.publish(TopicArn=deps.alerts_topic_arn, Subject=subject[:100], Message=f"Retraining run {run_id}: {reason}")


def _cause(error: dict[str, Any]) -> str:
    cause = str(error.get("Cause") or "")
    try:
        data = json.loads(cause)
    except (TypeError, json.JSONDecodeError):
        return cause or str(error.get("Error") or "unknown error")
    if isinstance(data, dict) and "errorMessage" in data:
        return f"{data.get('errorType', 'Error')}: {data['errorMessage']}"
    return cause
