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

from lightship.bundle.fetch import fetch_bundle_bytes
from lightship.bundle.model_bundle import ModelBundle, load_bundle
from lightship.bundle.schema import Task
from lightship.model_card import CARD_FILE, parse_card
from lightship.errors import DataError, TrainingJobFailed
from lightship.registry.gate import GateDecision
from lightship.registry.lineage import git_state, now_iso, s3_objects, who_am_i
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.registry.same_rows import SameRows
from lightship.resources import Names, Resources
from lightship.s3uri import S3Uri, is_s3
from lightship.settings import REPO_ROOT, Settings
from lightship.training.data import content_hash, data_files, load_training_data
from lightship.training.launcher import JobOutcome, TrainingLauncher, hyperparameters, training_image
from lightship.training.models import MODEL_NAMES, check_params
from lightship.training.segments import check_segment_columns

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainRequest:
    data: str
    target: str
    model: str
    params: dict[str, Any]
    task: Task | None = None
    seed: int | None = None
    holdout_fraction: float | None = None  # None: the setting (a re-run passes the version's own)
    segments: tuple[str, ...] | None = None  # None: the setting training.segments


@dataclass(frozen=True)
class TrainOutcome:
    version: ModelVersion
    decision: GateDecision
    job: JobOutcome


@dataclass(frozen=True)
class JobRun:
    """A finished training job and the bundle it wrote (not registered)."""

    job: JobOutcome
    image: str
    seed: int
    bundle_bytes: bytes
    bundle: ModelBundle


@dataclass
class AwsClients:
    s3: Any
    sagemaker: Any
    sts: Any


def job_name_for(names: Names, model: str, *, retraining: bool = False) -> str:
    """A new training job's name (:meth:`Names.training_job_name`): this second's time and a random suffix."""
    return names.training_job_name(model, time.strftime("%Y%m%d-%H%M%S", time.gmtime()), secrets.token_hex(2), retraining=retraining)


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
    segments = settings.training.segments if request.segments is None else request.segments
    check_segment_columns(checked.frame, request.target, list(segments))  # before the upload, as the parameters
    files = data_files(path)
    digest = content_hash(files)[:16]
    prefix = S3Uri(resources.data_bucket, f"{settings.training_prefix}/{_dataset_name(path)}/{digest}")
    progress(f"uploading {len(files)} file(s), {checked.rows_read} rows, to {prefix}")
    base = path if path.is_dir() else path.parent
    # The model card's intended use and limitations travel next to the data (lightship checklist);
    # a bad card fails here, naming the file, before anything is uploaded.
    card = base / CARD_FILE
    if card.is_file():
        parse_card(card.read_bytes(), str(card))
    for f in files:
        s3.upload_file(str(f), prefix.bucket, f"{prefix.key}/{f.relative_to(base).as_posix()}")
    if card.is_file():
        progress(f"uploading {card.name}")
        s3.upload_file(str(card), prefix.bucket, f"{settings.training_prefix}/{_dataset_name(path)}/{CARD_FILE}")
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
    run = run_training_job(request, data, settings, resources, clients, progress, poll_seconds)
    return register_run(settings, resources, clients, run, data=data, objects=objects,
                        hyperparameters={"model": request.model, "seed": run.seed, **request.params}, progress=progress)


def register_run(
    settings: Settings,
    resources: Resources,
    clients: AwsClients,
    run: JobRun,
    *,
    data: S3Uri,
    objects: list[dict[str, Any]],
    hyperparameters: dict[str, Any],
    extra_lineage: dict[str, Any] | None = None,
    same_rows: SameRows | None = None,
    progress: Progress = lambda _: None,
) -> TrainOutcome:
    """Collect a finished job's lineage, register the version and let the gate decide.

    ``lightship train`` and the retraining state machine (which adds the trigger, the parent
    version and the assembled dataset in ``extra_lineage``, and the comparison with the champion
    on the window's held-out labeled rows in ``same_rows``) both register through here.
    """
    outcome, bundle = run.job, run.bundle
    evaluation = dict(bundle.evaluation)
    evaluation["lineage"] = {
        "git": git_state(REPO_ROOT),
        "data": {"uri": str(data), "objects": objects, "sha256": evaluation.get("data", {}).get("sha256")},
        "hyperparameters": hyperparameters,
        "training_job": {"name": outcome.name, "arn": outcome.arn, "image": run.image, "instance_type": settings.training.instance_type},
        "model_data_url": outcome.model_data_url,
        "sklearn_version": bundle.manifest["sklearn_version"],
        "launched_by": who_am_i(clients.sts),
        "launched_at": now_iso(),
        **(extra_lineage or {}),
    }
    registry = ModelRegistry(settings, clients.sagemaker, clients.s3, resources.artifact_bucket)
    progress("registering the version and running the quality gate")
    version, decision = registry.register(
        model_data_url=str(outcome.model_data_url),
        evaluation=evaluation,
        image=run.image,
        training_job_name=outcome.name,
        training_job_arn=outcome.arn,
        same_rows=same_rows,
    )
    return TrainOutcome(version=version, decision=decision, job=outcome)


def run_training_job(
    request: TrainRequest,
    data: S3Uri,
    settings: Settings,
    resources: Resources,
    clients: AwsClients,
    progress: Progress = lambda _: None,
    poll_seconds: float = 0.5,
    code_repo: Path = REPO_ROOT,
) -> JobRun:
    """Ship the code, run the training job on ``data``, wait, and read the bundle it wrote (checked, not registered)."""
    launcher = TrainingLauncher(settings, clients.sagemaker, clients.s3, resources.artifact_bucket, resources.sagemaker_role_arn)
    job_name = job_name_for(resources, request.model)
    code = launcher.upload_code(job_name, code_repo)
    image = training_image(settings)
    seed = settings.training.seed if request.seed is None else request.seed
    hps = hyperparameters(
        request.target, request.model, request.task, seed, request.params, code, settings.region,
        settings.training.holdout_fraction if request.holdout_fraction is None else request.holdout_fraction,
        settings.training.profile_bins,
        segments=list(settings.training.segments if request.segments is None else request.segments),
        segment_confidence=settings.training.segment_confidence,
    )
    progress(f"starting training job {job_name} on {settings.training.instance_type}")
    launcher.start(job_name, data, image, hps)
    outcome = launcher.wait(job_name, on_status=lambda s, sec: progress(f"training job {job_name}: {s} ({sec})"), poll_seconds=poll_seconds)
    return finished_run(outcome, image, seed, clients.s3, progress)


def finished_run(outcome: JobOutcome, image: str, seed: int, s3: Any, progress: Progress = lambda _: None) -> JobRun:
    """A completed job's bundle, read and checked (the scikit-learn version and the checksums)."""
    if outcome.status != "Completed" or not outcome.model_data_url:
        raise TrainingJobFailed(f"training job {outcome.name} {outcome.status.lower()}: {outcome.failure_reason or 'no reason given'}; nothing was registered")
    progress(f"reading the bundle at {outcome.model_data_url}")
    body = fetch_bundle_bytes(s3, outcome.model_data_url)
    bundle = load_bundle(body)
    return JobRun(job=outcome, image=image, seed=seed, bundle_bytes=body, bundle=bundle)


def _dataset_name(path: Path) -> str:
    stem = path.stem if path.is_file() else path.name
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", stem) or "data"


