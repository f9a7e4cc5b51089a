"""SageMaker training compute for the emulator: moto records a training job but runs nothing.

:func:`install` wraps moto's ``create_training_job`` so that a new job is marked
``InProgress`` and run on a worker thread exactly as SageMaker's scikit-learn
container runs script mode: download ``sourcedir.tar.gz`` and the input channels,
set the ``SM_*`` variables, call ``python <sagemaker_program> --name value ...``,
then pack ``SM_MODEL_DIR`` into ``model.tar.gz`` and ``SM_OUTPUT_DATA_DIR`` into
``output.tar.gz`` under the job's output path, and set the job to ``Completed``,
or to ``Failed`` with the reason the script wrote to ``SM_OUTPUT_DIR/failure``.
The script runs with this Python, which has the pinned scikit-learn.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lightship.archive import targz_directory
from lightship.s3uri import S3Uri

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="training-compute")
_lock = threading.Lock()
_installed: dict[str, Any] = {}


def install(endpoint_url: str, region: str) -> None:
    """Make moto's SageMaker backend run the training jobs it is given (idempotent)."""
    from moto.sagemaker.models import SageMakerModelBackend

    with _lock:
        _installed["endpoint_url"] = endpoint_url
        _installed["region"] = region
        if "original" in _installed:
            return
        original = SageMakerModelBackend.create_training_job
        _installed["original"] = original

        def create_training_job(self: Any, *args: Any, **kwargs: Any) -> Any:
            job = original(self, *args, **kwargs)
            job.training_job_status = "InProgress"
            job.secondary_status = "Starting"
            job.training_end_time = None  # type: ignore[assignment]  # unset until the job ends, as on AWS
            _executor.submit(_run, job, dict(_installed))
            return job

        SageMakerModelBackend.create_training_job = create_training_job  # type: ignore[method-assign]


def _s3(endpoint_url: str, region: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=Config(retries={"max_attempts": 2}))


def _run(job: Any, where: dict[str, Any]) -> None:
    s3 = _s3(where["endpoint_url"], where["region"])
    started = time.time()
    try:
        with tempfile.TemporaryDirectory(prefix=f"{job.training_job_name}-") as tmp:
            root = Path(tmp)
            job.secondary_status = "Downloading"
            hps = {k: _decode(v) for k, v in (job.hyper_parameters or {}).items()}
            program = str(hps.pop("sagemaker_program", "train.py"))
            code_uri = S3Uri.parse(str(hps.pop("sagemaker_submit_directory")))
            for key in [k for k in hps if k.startswith("sagemaker_")]:
                hps.pop(key)
            code = root / "code"
            body = s3.get_object(Bucket=code_uri.bucket, Key=code_uri.key)["Body"].read()
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
                tar.extractall(code, filter="data")
            channels = {}
            for channel in job.input_data_config:
                name = channel["ChannelName"]
                target = root / "input" / "data" / name
                _download_prefix(s3, S3Uri.parse(channel["DataSource"]["S3DataSource"]["S3Uri"]), target)
                channels[name] = target
            model_dir, output_dir = root / "model", root / "output"
            data_dir = output_dir / "data"
            for d in (model_dir, data_dir):
                d.mkdir(parents=True)
            env = _script_mode_env(job, hps, channels, model_dir, output_dir, data_dir, program)
            args = [arg for k, v in hps.items() for arg in (f"--{k}", v if isinstance(v, str) else json.dumps(v))]
            job.secondary_status = "Training"
            limit = (job.stopping_condition or {}).get("MaxRuntimeInSeconds", 86400)
            result = subprocess.run(
                [sys.executable, program, *args], cwd=code, env=env, capture_output=True, text=True, timeout=limit
            )
            _publish_logs(where, job.training_job_name, result.stdout + result.stderr)
            if result.returncode != 0:
                failure = output_dir / "failure"
                reason = failure.read_text().strip() if failure.is_file() else _last_line(result.stderr)
                _fail(job, f"AlgorithmError: {reason}")
                return
            job.secondary_status = "Uploading"
            output = S3Uri.parse(job.output_data_config["S3OutputPath"]).join(job.training_job_name, "output")
            s3.put_object(Bucket=output.bucket, Key=f"{output.key}/model.tar.gz", Body=targz_directory(model_dir))
            s3.put_object(Bucket=output.bucket, Key=f"{output.key}/output.tar.gz", Body=targz_directory(data_dir))
            job.model_artifacts = {"S3ModelArtifacts": f"s3://{output.bucket}/{output.key}/model.tar.gz"}
            job.training_time_in_seconds = int(time.time() - started)
            job.training_end_time = _now()
            job.secondary_status = "Completed"
            job.training_job_status = "Completed"
    except subprocess.TimeoutExpired:
        _fail(job, "MaxRuntimeExceeded: the training script ran past MaxRuntimeInSeconds", status="Stopped")
    except Exception as exc:  # noqa: BLE001 - any compute failure must end the job, not hang it
        _fail(job, f"ClientError: {type(exc).__name__}: {exc}")


def _script_mode_env(job: Any, hps: dict[str, Any], channels: dict[str, Path], model_dir: Path, output_dir: Path, data_dir: Path, program: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
    env.update(
        SM_MODEL_DIR=str(model_dir),
        SM_OUTPUT_DIR=str(output_dir),
        SM_OUTPUT_DATA_DIR=str(data_dir),
        SM_CHANNELS=json.dumps(sorted(channels)),
        SM_HPS=json.dumps(hps),
        SM_USER_ENTRY_POINT=program,
        SM_CURRENT_HOST="algo-1",
        SM_HOSTS=json.dumps(["algo-1"]),
        SM_NUM_CPUS=str(os.cpu_count() or 1),
        SM_NUM_GPUS="0",
        TRAINING_JOB_NAME=job.training_job_name,
        TRAINING_JOB_ARN=job.arn,
        SM_TRAINING_ENV=json.dumps({"job_name": job.training_job_name, "hyperparameters": hps, "channel_input_dirs": {k: str(v) for k, v in channels.items()}}),
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
    )
    # The job's own code, shipped in sourcedir.tar.gz, comes first, as in the container.
    env.pop("PYTHONPATH", None)
    for name, path in channels.items():
        env[f"SM_CHANNEL_{name.upper()}"] = str(path)
    for key, value in hps.items():
        env[f"SM_HP_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def _download_prefix(s3: Any, uri: S3Uri, target: Path) -> None:
    """Every object whose key starts with the channel's prefix, laid out relative to the prefix's folder."""
    target.mkdir(parents=True, exist_ok=True)
    folder = uri.key.rsplit("/", 1)[0] + "/" if "/" in uri.key else ""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=uri.bucket, Prefix=uri.key):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            destination = target / key[len(folder):]
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(uri.bucket, key, str(destination))


def _publish_logs(where: dict[str, Any], job_name: str, text: str) -> None:
    """The script's output to CloudWatch Logs, where SageMaker puts it."""
    logs = boto3.client("logs", endpoint_url=where["endpoint_url"], region_name=where["region"])
    group, stream = "/aws/sagemaker/TrainingJobs", f"{job_name}/algo-1-{int(time.time())}"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in text.splitlines()[-5000:] if line.strip()]
    if events:
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def _fail(job: Any, reason: str, status: str = "Failed") -> None:
    job.failure_reason = reason[:1024]
    job.training_end_time = _now()
    job.secondary_status = status
    job.training_job_status = status


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, json.JSONDecodeError):
        return value


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "the training script exited non-zero"


def _now() -> Any:
    from moto.core.utils import utcnow

    return utcnow()
