"""``lightship train``: check the data, stage it, run the training job, register the result.

The steps, each reported to ``progress``: check the model's parameters and a local
file (fail fast, nothing uploaded), upload it to the data bucket under a content-addressed key, ship the code,
start the job, wait, read the bundle's evaluation, collect lineage, register the
version and let the quality gate decide. A failed job raises with its reason and
registers nothing.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightship.bundle.model_bundle import load_bundle
from lightship.bundle.schema import Task
from lightship.errors import DataError, TrainingJobFailed
from lightship.registry.gate import GateDecision
from lightship.registry.lineage import git_state, now_iso, s3_objects, who_am_i
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.resources import Resources
from lightship.s3uri import S3Uri, is_s3
from lightship.settings import REPO_ROOT, Settings
from lightship.training.data import content_hash, data_files, load_training_data
from lightship.training.launcher import JobOutcome, TrainingLauncher, hyperparameters, training_image
from lightship.training.models import MODEL_NAMES, check_params

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainRequest:
    data: str
    target: str
    model: str
    params: dict[str, Any]
    task: Task | None = None
    seed: int | None = None


@dataclass(frozen=True)
class TrainOutcome:
    version: ModelVersion
    decision: GateDecision
    job: JobOutcome


@dataclass
class AwsClients:
    s3: Any
    sagemaker: Any
    sts: Any


def job_name_for(project: str, model: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    name = f"{project}-{model.replace('_', '-')}-{stamp}-{secrets.token_hex(2)}"
    return re.sub(r"[^a-zA-Z0-9-]", "-", name)[:63]


def stage_data(request: TrainRequest, settings: Settings, resources: Resources, s3: Any, progress: Progress) -> S3Uri:
    """The S3 address of the training data; a local file is checked, then uploaded once per content."""
    if is_s3(request.data):
        uri = S3Uri.parse(request.data)
        allowed = S3Uri(resources.data_bucket, settings.training_prefix.strip("/") + "/")
        if uri.bucket != allowed.bucket or not uri.key.startswith(allowed.key):
            # The training role reads only this prefix (least privilege): say so before SageMaker does.
            raise DataError(f"{request.data}: training data on S3 must be under {allowed} (the training role reads only there); copy it there or pass a local file")
        return uri
    path = Path(request.data)
    progress(f"checking {path}")
    checked = load_training_data(path, request.target, request.task)  # raises DataError naming the file
    check_params(request.model, request.params, checked.task)  # now that the task is known
    files = data_files(path)
    digest = content_hash(files)[:16]
    prefix = S3Uri(resources.data_bucket, f"{settings.training_prefix}/{_dataset_name(path)}/{digest}")
    progress(f"uploading {len(files)} file(s), {checked.rows_read} rows, to {prefix}")
    base = path if path.is_dir() else path.parent
    for f in files:
        s3.upload_file(str(f), prefix.bucket, f"{prefix.key}/{f.relative_to(base).as_posix()}")
    return prefix


def train_and_register(
    request: TrainRequest,
    settings: Settings,
    resources: Resources,
    clients: AwsClients,
    progress: Progress = lambda _: None,
    poll_seconds: float = 0.5,
) -> TrainOutcome:
    # Parameters the job would refuse fail here, before an upload and a paid job start.
    if request.model not in MODEL_NAMES:
        raise DataError(f"unknown model '{request.model}'; choose one of {', '.join(MODEL_NAMES)}")
    if is_s3(request.data):  # a local file is read first, and its task decides (stage_data)
        check_params(request.model, request.params, request.task)
    data = stage_data(request, settings, resources, clients.s3, progress)
    objects = s3_objects(clients.s3, data)
    if not objects:
        raise DataError(f"{data}: no objects at this address")
    launcher = TrainingLauncher(settings, clients.sagemaker, clients.s3, resources.artifact_bucket, resources.sagemaker_role_arn)
    job_name = job_name_for(settings.project, request.model)
    code = launcher.upload_code(job_name)
    image = training_image(settings)
    seed = settings.training.seed if request.seed is None else request.seed
    hps = hyperparameters(
        request.target, request.model, request.task, seed, request.params, code, settings.region,
        settings.training.holdout_fraction, settings.training.profile_bins,
    )
    progress(f"starting training job {job_name} on {settings.training.instance_type}")
    launcher.start(job_name, data, image, hps)
    outcome = launcher.wait(job_name, on_status=lambda s, sec: progress(f"training job {job_name}: {s} ({sec})"), poll_seconds=poll_seconds)
    if outcome.status != "Completed" or not outcome.model_data_url:
        raise TrainingJobFailed(f"training job {job_name} {outcome.status.lower()}: {outcome.failure_reason or 'no reason given'}; nothing was registered")

    return register_job(settings, resources, clients, outcome, data=data, objects=objects, image=image,
                        hyperparameters={"model": request.model, "seed": seed, **request.params}, progress=progress)


def register_job(
    settings: Settings,
    resources: Resources,
    clients: AwsClients,
    outcome: JobOutcome,
    *,
    data: S3Uri,
    objects: list[dict[str, Any]],
    image: str,
    hyperparameters: dict[str, Any],
    extra_lineage: dict[str, Any] | None = None,
    progress: Progress = lambda _: None,
) -> TrainOutcome:
    """Read a completed job's bundle, collect its lineage, register the version and let the gate decide.

    ``lightship train`` and the retraining state machine (which adds the trigger, the parent
    version and the assembled dataset in ``extra_lineage``) both register through here.
    """
    assert outcome.model_data_url is not None
    progress(f"reading the bundle at {outcome.model_data_url}")
    bundle_uri = S3Uri.parse(outcome.model_data_url)
    body = clients.s3.get_object(Bucket=bundle_uri.bucket, Key=bundle_uri.key)["Body"].read()
    bundle = load_bundle(body)  # checks the scikit-learn version and the checksums
    evaluation = dict(bundle.evaluation)
    evaluation["lineage"] = {
        "git": git_state(REPO_ROOT),
        "data": {"uri": str(data), "objects": objects, "sha256": evaluation.get("data", {}).get("sha256")},
        "hyperparameters": hyperparameters,
        "training_job": {"name": outcome.name, "arn": outcome.arn, "image": image, "instance_type": settings.training.instance_type},
        "model_data_url": outcome.model_data_url,
        "sklearn_version": bundle.manifest["sklearn_version"],
        "launched_by": who_am_i(clients.sts),
        "launched_at": now_iso(),
        **(extra_lineage or {}),
    }
    registry = ModelRegistry(settings, clients.sagemaker, clients.s3, resources.artifact_bucket)
    progress("registering the version and running the quality gate")
    version, decision = registry.register(
        model_data_url=outcome.model_data_url,
        evaluation=evaluation,
        image=image,
        training_job_name=outcome.name,
        training_job_arn=outcome.arn,
    )
    return TrainOutcome(version=version, decision=decision, job=outcome)


def _dataset_name(path: Path) -> str:
    stem = path.stem if path.is_file() else path.name
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", stem) or "data"


