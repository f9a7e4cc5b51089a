"""Starting a SageMaker training job for ``training_jobs/train.py`` and waiting for it.

What SageMaker's scikit-learn estimator does in script mode, with boto3 (the ``sagemaker``
SDK's ``ModelTrainer`` pulls ~85 packages and calls ``simulate_principal_policy``; we only
take its image catalogue): pack the source directory into ``sourcedir.tar.gz`` with a
``requirements.txt`` that pins our scikit-learn, upload it, and call
``CreateTrainingJob`` with the framework image and the ``sagemaker_program`` /
``sagemaker_submit_directory`` hyperparameters the container's toolkit reads.
Against the local emulator the same call is answered by its training compute, which runs
the same script the same way (see ``lightship.local.training_compute``).
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from lightship.errors import TrainingJobFailed
from lightship.s3uri import S3Uri
from lightship.settings import REPO_ROOT, Settings
from lightship.versions import SKLEARN_VERSION

ENTRY_POINT = "train.py"
TERMINAL = {"Completed", "Failed", "Stopped"}
# The packages the training script imports from this repository; nothing else is shipped.
SHIPPED_PACKAGES = ("lightship/__init__.py", "lightship/errors.py", "lightship/archive.py", "lightship/bundle", "lightship/training",
                    "lightship/quality/__init__.py", "lightship/quality/calibration.py",
                    "lightship/quality/metrics.py")


@dataclass(frozen=True)
class JobOutcome:
    name: str
    arn: str
    status: str
    failure_reason: str | None
    model_data_url: str | None
    description: dict[str, Any]


def container_requirements() -> str:
    """What the container installs over its image: our scikit-learn, the pyarrow that reads Parquet
    here (the framework image does not promise one), and the ONNX converter and runtime the parity
    check runs (lightship.training.onnx_export), at the versions locked here."""
    extra = "".join(f"{name}=={metadata.version(name)}\n" for name in ("pyarrow", "skl2onnx", "onnx", "onnxruntime"))
    return f"scikit-learn=={SKLEARN_VERSION}\n{extra}"


def source_tarball(repo: Path = REPO_ROOT) -> bytes:
    """``sourcedir.tar.gz``: the entry point at the root, the packages it imports, and the pin."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(repo / "training_jobs" / ENTRY_POINT, arcname=ENTRY_POINT)
        for relative in SHIPPED_PACKAGES:
            tar.add(repo / relative, arcname=relative, filter=_skip_caches)
        pin = container_requirements().encode()
        info = tarfile.TarInfo("requirements.txt")
        info.size = len(pin)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(pin))
    return buffer.getvalue()


def training_image(settings: Settings) -> str:
    """SageMaker's scikit-learn framework image for the region, from the SDK's catalogue (offline)."""
    from sagemaker.core import image_uris  # heavy import: only when a job is launched

    return str(
        image_uris.retrieve(
            "sklearn",
            region=settings.region,
            version=settings.training.framework_version,
            instance_type=settings.training.instance_type,
        )
    )


def hyperparameters(target: str, model: str, task: str | None, seed: int, params: dict[str, Any], code: S3Uri, region: str, holdout: float, bins: int,
                    segments: list[str] | None = None, segment_confidence: float = 0.95) -> dict[str, str]:
    """Every value JSON-encoded, as SageMaker's framework containers expect."""
    values: dict[str, Any] = {"target": target, "model": model, "seed": seed, "holdout_fraction": holdout, "profile_bins": bins, **params}
    if task:
        values["task"] = task
    if segments:  # comma-joined: one plain string survives every hyperparameter form SageMaker passes
        values["segments"] = ",".join(segments)
        values["segment_confidence"] = segment_confidence
    encoded = {k: json.dumps(v) for k, v in values.items()}
    encoded.update(
        sagemaker_program=json.dumps(ENTRY_POINT),
        sagemaker_submit_directory=json.dumps(str(code)),
        sagemaker_region=json.dumps(region),
        sagemaker_container_log_level=json.dumps(20),
    )
    return encoded


class TrainingLauncher:
    def __init__(self, settings: Settings, sagemaker: Any, s3: Any, artifact_bucket: str, role_arn: str) -> None:
        self.settings = settings
        self.sagemaker = sagemaker
        self.s3 = s3
        self.artifact_bucket = artifact_bucket
        self.role_arn = role_arn

    def upload_code(self, job_name: str, repo: Path = REPO_ROOT) -> S3Uri:
        """Ship the code in ``repo`` (a re-run ships the tree of the commit in the version's lineage)."""
        uri = S3Uri(self.artifact_bucket, f"{self.settings.code_prefix}/{job_name}/sourcedir.tar.gz")
        self.s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=source_tarball(repo))
        return uri

    def start(self, job_name: str, data: S3Uri, image: str, hps: dict[str, str]) -> str:
        t = self.settings.training
        output = S3Uri(self.artifact_bucket, self.settings.model_prefix)
        response = self.sagemaker.create_training_job(
            TrainingJobName=job_name,
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            RoleArn=self.role_arn,
            HyperParameters=hps,
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": str(data), "S3DataDistributionType": "FullyReplicated"}},
                }
            ],
            OutputDataConfig={"S3OutputPath": str(output)},
            ResourceConfig={"InstanceType": t.instance_type, "InstanceCount": t.instance_count, "VolumeSizeInGB": t.volume_size_gb},
            StoppingCondition={"MaxRuntimeInSeconds": t.max_runtime_seconds},
            EnableNetworkIsolation=False,
            Tags=[{"Key": "project", "Value": self.settings.project}],
        )
        return str(response["TrainingJobArn"])

    def wait(self, job_name: str, on_status: Callable[[str, str], None] | None = None, poll_seconds: float = 0.5, timeout: float | None = None) -> JobOutcome:
        """Poll until the job ends; ``on_status(status, secondary_status)`` on every change."""
        deadline = time.monotonic() + (timeout or self.settings.training.max_runtime_seconds + 600)
        last: tuple[str, str] | None = None
        while True:
            d = self.sagemaker.describe_training_job(TrainingJobName=job_name)
            status, secondary = d["TrainingJobStatus"], d.get("SecondaryStatus", "")
            if on_status and (status, secondary) != last:
                on_status(status, secondary)
            last = (status, secondary)
            if status in TERMINAL:
                return JobOutcome(
                    name=job_name,
                    arn=d["TrainingJobArn"],
                    status=status,
                    failure_reason=d.get("FailureReason"),
                    model_data_url=d.get("ModelArtifacts", {}).get("S3ModelArtifacts"),
                    description=d,
                )
            if time.monotonic() > deadline:
                raise TrainingJobFailed(f"training job {job_name} did not finish in time (last status {status})")
            time.sleep(poll_seconds)


def _skip_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if "__pycache__" in info.name or info.name.endswith(".pyc") else info
