"""The retraining state machine's tasks: assemble, register, release, and the three endings.

The machine (``infra/stacks/retraining.py``) runs::

    Assemble -> (no_run | refused) -> Finish
             -> train: CreateTrainingJob -> Wait -> DescribeTrainingJob -> (loop | Register | Failed)
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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lightship.deployment.record import DeploymentRecord
from lightship.errors import LightshipError, TrainingJobFailed
from lightship.quality import store
from lightship.registry.lineage import s3_objects
from lightship.bundle.fetch import fetch_bundle
from lightship.bundle.model_bundle import load_bundle
from lightship.registry.gate import metric_for
from lightship.registry.model_registry import REJECTED, ModelRegistry, ModelVersion
from lightship.registry.same_rows import SameRows, compare
from lightship.release.controller import make_plan
from lightship.release.launch import launch
from lightship.resources import Resources
from lightship.retraining import dataset as dataset_mod
from lightship.retraining import ledger as ledger_mod
from lightship.retraining.labeled import labeled_rows
from lightship.retraining.ledger import RunLedger
from lightship.s3uri import S3Uri
from lightship.settings import Settings
from lightship.training.data import read_frame
from lightship.training.launcher import JobOutcome
from lightship.training.workflow import AwsClients, finished_run, job_name_for, register_run

BY = "retraining state machine"
HOLDOUT_FILE = "holdout.csv"
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


def parent_rows(deps: Collaborators, data_uri: str, target: str) -> tuple[pd.DataFrame, pd.Series, list[dict[str, Any]]]:
    """The parent's training rows (with a target), their ids, and the objects read (lineage)."""
    uri = S3Uri.parse(data_uri)
    objects = s3_objects(deps.s3, uri)
    if not objects:
        raise RetrainingError(f"{data_uri}: the parent's training data is gone")
    ids_key = _ids_key(uri)
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
    if ids_key is not None:  # an assembled dataset: its rows keep the ids recorded beside it
        row_ids = dataset_mod.read_ids(store.get(deps.s3, uri.bucket, ids_key))
    keep = frame[target].notna()
    return frame[keep].reset_index(drop=True), row_ids[keep.to_numpy()].reset_index(drop=True), objects


def assemble(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    settings, r = deps.settings, deps.settings.retraining
    live = deps.record.live()
    if live is None:
        raise RetrainingError("no version is live: retraining starts from the live version's data (lightship deploy N)")
    parent = deps.registry.version(live.version)
    job = parent_job(deps, parent)
    hps = dict(job["HyperParameters"])
    target = json.loads(hps["target"])
    frame, ids, objects = parent_rows(deps, parent.lineage["data"]["uri"], target)
    features = [c for c in frame.columns if c != target]
    day = str(state.get("date") or dt.datetime.now(dt.UTC).date().isoformat())
    labeled = labeled_rows(deps.s3, deps.resources.data_bucket, capture_prefix=settings.capture_prefix,
                           batch_prefix=settings.batch_output_prefix, labels_prefix=settings.quality.labels_prefix,
                           dates=store.window_dates(day, r.window_days), id_column=settings.batch.id_column, features=features)
    assembled = dataset_mod.assemble(frame, ids, labeled, target, holdout_fraction=r.holdout_fraction)
    summary = {"version": assembled.version, "sha256": assembled.sha256, "counts": assembled.counts, "parent_version": parent.version,
               "window": {"days": r.window_days, "last": day}, "target": target}
    if assembled.counts["new_rows"] < r.min_new_labels:
        reason = (f"not enough new labels: {assembled.counts['new_rows']} new labeled rows in the {r.window_days} days to {day} "
                  f"(retraining.min_new_labels {r.min_new_labels}); nothing trained")
        return {"verdict": NO_RUN, "reason": reason, "dataset": summary}
    params = {k: v for k, v in hps.items() if not k.startswith("sagemaker_")}
    twin = _rejected_twin(deps.registry, assembled.sha256, params)
    if twin is not None:
        reason = (f"the assembled dataset {assembled.version} and parameters are those of version {twin}, which was rejected: "
                  "retraining would reproduce it; nothing trained")
        return {"verdict": REFUSED, "reason": reason, "dataset": summary}
    prefix = f"{settings.training_prefix.strip('/')}/{r.datasets_prefix.strip('/')}/{assembled.version}"
    bucket = deps.resources.data_bucket
    data_uri = S3Uri(bucket, f"{prefix}/data/")
    deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/data/{dataset_mod.DATA_FILE}", Body=assembled.data_bytes, ContentType="text/csv")
    deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/ids.csv", Body=dataset_mod.ids_csv(assembled.ids), ContentType="text/csv")
    if len(assembled.holdout):  # the gate's same rows: not in data/, which is the training channel
        deps.s3.put_object(Bucket=bucket, Key=f"{prefix}/{HOLDOUT_FILE}", Body=dataset_mod.holdout_csv(assembled), ContentType="text/csv")
        summary["holdout_uri"] = f"s3://{bucket}/{prefix}/{HOLDOUT_FILE}"
    sources = {"parent": {"version": parent.version, "data_uri": parent.lineage["data"]["uri"], "objects": objects},
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
            "dataset": summary, "job": request}


def _rejected_twin(registry: ModelRegistry, sha256: str, params: dict[str, Any]) -> int | None:
    """A Rejected version trained on exactly this dataset with these parameters (it would come back as it was)."""
    for version in registry.versions(REJECTED):
        data = version.evaluation.get("data", {})
        if data.get("sha256") == sha256 and version.lineage.get("retraining", {}).get("parameters") == params:
            return version.version
    return None


def _ids_key(uri: S3Uri) -> str | None:
    key = uri.key.rstrip("/")
    return key.rsplit("/", 1)[0] + "/ids.csv" if key.endswith("/data") else None


# ---- register ------------------------------------------------------------------------------
def register(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    assembled = state["assembled"]
    request = assembled["job"]
    name = request["TrainingJobName"]
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
def release(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    version = int(state["registered"]["version"])
    live = deps.record.live()
    if live is None:
        raise RetrainingError(f"no version is live any more: version {version} is not released")
    if version <= live.version:  # never a canary back to an older version: no oscillation
        raise RetrainingError(f"version {version} is not newer than the live version {live.version}: not released")
    trigger = state.get("trigger", {})
    plan = make_plan(deps.settings.release)
    sfn_arn = deps.resources.state_machine_arn(deps.resources.release_state_machine)
    launched = launch(deps.registry, deps.record, deps.stepfunctions, sfn_arn, version, plan,
                      reason=f"retraining run {state['run_id']} ({trigger.get('kind', '?')}: {trigger.get('reason', '')})"[:500],
                      by=f"{BY} ({state['run_id']})")
    assert launched.outcome.release is not None
    return {"release_id": launched.outcome.release.id, "execution_arn": launched.execution_arn,
            "reason": f"version {version} released as a canary ({' -> '.join(f'{s:g}' for s in plan.steps)} %)"}


# ---- endings -------------------------------------------------------------------------------
def finish(state: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    """The run's outcome in the ledger; an alert when the gate held the version or the run was refused."""
    run_id = str(state["run_id"])
    assembled = state.get("assembled") or {}
    registered = state.get("registered") or {}
    released = state.get("released") or {}
    details = {"trigger": state.get("trigger", {}), "dataset": assembled.get("dataset"), "version": registered.get("version"),
               "release_id": released.get("release_id")}
    if released:
        outcome, reason = ledger_mod.RELEASED, released["reason"]
    elif registered:
        outcome = ledger_mod.GATE_REFUSED
        reason = f"version {registered['version']} held by the gate: {registered['reason']}; nothing else changed"
        _alert(deps, f"{deps.settings.project} retraining: version {registered['version']} held by the gate", run_id, reason)
    elif assembled.get("verdict") == REFUSED:
        outcome, reason = ledger_mod.REFUSED, str(assembled["reason"])
        _alert(deps, f"{deps.settings.project} retraining refused", run_id, reason)
    else:
        outcome, reason = ledger_mod.NO_RUN, str(assembled.get("reason", "nothing to do"))
    deps.ledger.finish(run_id, outcome, reason, details)
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
