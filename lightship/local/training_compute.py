"""SageMaker training compute for the emulator: moto records a training job but runs nothing.

:func:`install` wraps moto's ``create_training_job`` so that a new job is marked
``InProgress`` and run on a worker thread the way SageMaker runs the scikit-learn
container: the platform's part is ours (lay out ``/opt/ml`` in a temporary folder with
``hyperparameters.json``, ``inputdataconfig.json`` and ``resourceconfig.json`` for host
``algo-1``, download the input channels; afterwards pack ``model/`` into ``model.tar.gz``
and ``output/data/`` into ``output.tar.gz`` under the job's output path, and set the job
to ``Completed``, or to ``Failed`` with the reason in ``output/failure``); the container's
part is SageMaker's own training toolkit (``sagemaker-training``, the container's ``train``
command), which downloads ``sourcedir.tar.gz``, installs its ``requirements.txt``, builds
the ``SM_*`` variables and the command line, and runs the entry point. It runs with this
Python, which has the pinned scikit-learn; see :func:`toolkit_env` for the settings that
point it here instead of ``/opt/ml``.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
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

HOST = "algo-1"
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

        @functools.wraps(original)  # __wrapped__: moto's own, for whoever needs moto as it is (tests/support/record_world.py)
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
            base = Path(tmp) / "opt" / "ml"
            job.secondary_status = "Downloading"
            channels = container_layout(base, job)
            for channel in job.input_data_config:
                _download_prefix(s3, S3Uri.parse(channel["DataSource"]["S3DataSource"]["S3Uri"]), channels[channel["ChannelName"]])
            job.secondary_status = "Training"
            limit = (job.stopping_condition or {}).get("MaxRuntimeInSeconds", 86400)
            returncode, output = _run_toolkit(base, toolkit_env(job, base, where), limit)
            _publish_logs(where, job.training_job_name, output)
            if returncode != 0:
                failure = base / "output" / "failure"
                reason = failure.read_text().strip() if failure.is_file() else _last_line(output)
                _fail(job, f"AlgorithmError: {reason}")
                return
            job.secondary_status = "Uploading"
            output_uri = S3Uri.parse(job.output_data_config["S3OutputPath"]).join(job.training_job_name, "output")
            s3.put_object(Bucket=output_uri.bucket, Key=f"{output_uri.key}/model.tar.gz", Body=targz_directory(base / "model"))
            s3.put_object(Bucket=output_uri.bucket, Key=f"{output_uri.key}/output.tar.gz", Body=targz_directory(base / "output" / "data"))
            job.model_artifacts = {"S3ModelArtifacts": f"s3://{output_uri.bucket}/{output_uri.key}/model.tar.gz"}
            job.training_time_in_seconds = int(time.time() - started)
            job.training_end_time = _now()
            job.secondary_status = "Completed"
            job.training_job_status = "Completed"
    except subprocess.TimeoutExpired:
        _fail(job, "MaxRuntimeExceeded: the training script ran past MaxRuntimeInSeconds", status="Stopped")
    except Exception as exc:  # noqa: BLE001 - any compute failure must end the job, not hang it
        _fail(job, f"ClientError: {type(exc).__name__}: {exc}")


def container_layout(base: Path, job: Any) -> dict[str, Path]:
    """``/opt/ml`` as the platform lays it out before the container starts: the three config
    files (hyperparameters exactly as CreateTrainingJob stored them, JSON-encoded strings) and
    an empty folder per channel, which the caller fills. Returns the channels' folders."""
    config = base / "input" / "config"
    config.mkdir(parents=True)
    (base / "model").mkdir()
    (base / "output" / "data").mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(dict(job.hyper_parameters or {})))
    (config / "inputdataconfig.json").write_text(json.dumps({
        channel["ChannelName"]: {
            "TrainingInputMode": channel.get("InputMode", "File"),
            "S3DistributionType": channel["DataSource"]["S3DataSource"].get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
            **({"ContentType": channel["ContentType"]} if channel.get("ContentType") else {}),
        }
        for channel in job.input_data_config
    }))
    count = int((job.resource_config or {}).get("InstanceCount", 1))
    instance_type = (job.resource_config or {}).get("InstanceType", "ml.m5.large")
    if count != 1:
        raise ValueError(f"the local training compute runs one instance; the job asks for {count}")
    (config / "resourceconfig.json").write_text(json.dumps({
        "current_host": HOST,
        "hosts": [HOST],
        "current_instance_type": instance_type,
        "current_group_name": "homogeneousCluster",
        "instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": instance_type, "hosts": [HOST]}],
        "network_interface_name": "eth0",
    }))
    channels = {}
    for channel in job.input_data_config:
        folder = base / "input" / "data" / channel["ChannelName"]
        folder.mkdir(parents=True)
        channels[channel["ChannelName"]] = folder
    return channels


def toolkit_env(job: Any, base: Path, where: dict[str, Any]) -> dict[str, str]:
    """The container's environment for the toolkit, pointed at ``base`` instead of ``/opt/ml``.

    * ``SAGEMAKER_BASE_DIR``: the toolkit's own setting for the ``/opt/ml`` root.
    * ``SM_STUDIO_LOCAL_MODE=true``: skips the wait for ``algo-1`` to resolve in DNS.
    * ``S3_ENDPOINT_URL``: the toolkit downloads ``sagemaker_submit_directory`` from the emulator's S3.
    * ``PIP_NO_INDEX`` / ``PIP_DISABLE_PIP_VERSION_CHECK``: the toolkit's ``pip install -r
      requirements.txt`` runs against this Python and never reaches a package index: it is a
      check that the shipped pins are installed here, and fails the job (as a container
      without them would) when they are not.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_", "PIP_"))}
    env.pop("PYTHONPATH", None)  # the job's own code, from sourcedir.tar.gz, comes first, as in the container
    env.update(
        SAGEMAKER_BASE_DIR=str(base),
        SM_STUDIO_LOCAL_MODE="true",
        S3_ENDPOINT_URL=where["endpoint_url"],
        AWS_REGION=where["region"],
        AWS_DEFAULT_REGION=where["region"],
        TRAINING_JOB_NAME=job.training_job_name,
        TRAINING_JOB_ARN=job.arn,
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
    )
    return env


def _run_toolkit(base: Path, env: dict[str, str], limit: float) -> tuple[int, str]:
    """``train``, the toolkit's entry point (the container's), in its own process group so that
    a timeout ends the user script it started too."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_training.cli.train"], cwd=base, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process.returncode, output


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


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "the training script exited non-zero"


def _now() -> Any:
    from moto.core.utils import utcnow

    return utcnow()
