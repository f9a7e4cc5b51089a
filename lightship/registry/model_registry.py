"""Model versions in the SageMaker Model Registry, read and written through boto3.

Each version points at its ``model.tar.gz`` and at its evaluation report in S3
(``ModelMetrics.ModelQuality.Statistics``), which holds metrics, lineage and the
gate's decision. Used by the CLI (``train``, ``models list``, ``approve``, ``reject``),
and later by deployment and rollback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from lightship.errors import RegistryError
from lightship.registry.gate import Champion, GateDecision, decide
from lightship.registry.same_rows import SameRows
from lightship.s3uri import S3Uri
from lightship.settings import Settings

APPROVED = "Approved"
REJECTED = "Rejected"
PENDING = "PendingManualApproval"


@dataclass
class ModelVersion:
    version: int
    arn: str
    status: str
    created: datetime
    description: str
    approval_description: str
    model_data_url: str
    image: str
    evaluation_uri: str | None
    evaluation: dict[str, Any] = field(default_factory=dict)
    # CustomerMetadataProperties: lineage's short fields, and addresses recorded later (the model card's).
    customer_metadata: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.evaluation.get("metrics", {}))

    @property
    def lineage(self) -> dict[str, Any]:
        return dict(self.evaluation.get("lineage", {}))

    @property
    def task(self) -> str:
        return str(self.evaluation.get("task", ""))

    @property
    def runtime(self) -> str:
        """What serves this version: ``onnx``, or ``sklearn`` (reports from before ONNX conversion too)."""
        return str(self.evaluation.get("onnx", {}).get("runtime", "sklearn"))

    @property
    def runtime_reason(self) -> str | None:
        """Why it is not served by ONNX Runtime (None when it is)."""
        onnx = self.evaluation.get("onnx")
        if onnx is None:
            return "trained before ONNX conversion"
        reason = onnx.get("reason")
        return str(reason) if reason else None


class ModelRegistry:
    def __init__(self, settings: Settings, sagemaker: Any, s3: Any, artifact_bucket: str) -> None:
        self.settings = settings
        self.group = settings.model_package_group
        self.sagemaker = sagemaker
        self.s3 = s3
        self.artifact_bucket = artifact_bucket

    # ---- writing -------------------------------------------------------------------------
    def register(
        self,
        *,
        model_data_url: str,
        evaluation: dict[str, Any],
        image: str,
        training_job_name: str,
        training_job_arn: str,
        same_rows: SameRows | None = None,
    ) -> tuple[ModelVersion, GateDecision]:
        """Store the evaluation report, create the version, and let the gate approve it or not.

        ``same_rows`` (a retraining run) compared the version with the champion it names, which must
        still be the champion (another version approved meanwhile: :class:`RegistryError`).
        """
        current = self.champion()
        if same_rows is not None and (current is None or current.version != same_rows.champion_version):
            raise RegistryError(f"the champion changed while the run compared with v{same_rows.champion_version} "
                                f"(now {f'v{current.version}' if current else 'none'}): nothing registered")
        decision = decide(
            evaluation["task"],
            evaluation["metrics"],
            Champion(current.version, current.metrics) if current else None,
            self.settings.gate,
            segments=evaluation.get("segments"),
            same_rows=same_rows,
        )
        report = {**evaluation, "gate": {"approved": decision.approved, "metric": decision.metric, "reason": decision.reason}}
        if same_rows is not None:
            report["gate"]["same_rows"] = same_rows.to_dict()
        report_uri = S3Uri(self.artifact_bucket, f"{self.settings.evaluation_prefix}/{self.group}/{training_job_name}.json")
        self.s3.put_object(
            Bucket=report_uri.bucket,
            Key=report_uri.key,
            Body=json.dumps(report, indent=2, sort_keys=True, default=str).encode(),
            ContentType="application/json",
        )
        lineage = evaluation.get("lineage", {})
        git = lineage.get("git", {})
        metadata = _customer_metadata(evaluation, training_job_name)
        metric_text = f"{decision.metric}={decision.value:.4f}" if decision.value is not None else "no metric"
        created = self.sagemaker.create_model_package(
            ModelPackageGroupName=self.group,
            ModelPackageDescription=f"{evaluation['model']} {evaluation['task']} on {lineage.get('data', {}).get('uri', '?')} ({metric_text})"[:1024],
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": image,
                        "ModelDataUrl": model_data_url,
                        "Framework": "SKLEARN",
                        "FrameworkVersion": self.settings.training.framework_version,
                    }
                ],
                "SupportedContentTypes": ["application/json", "text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": str(report_uri)}}},
            ModelApprovalStatus=PENDING,
            MetadataProperties={
                "CommitId": str(git.get("commit", "unknown"))[:1024],
                "Repository": str(git.get("repository", ""))[:1024] or "unknown",
                "GeneratedBy": training_job_arn[:1024],
                "ProjectId": self.settings.project,
            },
            CustomerMetadataProperties=metadata,
            Domain="MACHINE_LEARNING",
            Task="CLASSIFICATION" if evaluation["task"] == "classification" else "REGRESSION",
        )
        arn = created["ModelPackageArn"]
        self.sagemaker.update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=decision.status, ApprovalDescription=decision.reason[:1024],
            CustomerMetadataProperties=metadata,  # moto drops what an update leaves out (see _update)
        )
        return self._describe(arn), decision

    def approve(self, version: int, reason: str, by: str) -> ModelVersion:
        return self._set_status(version, APPROVED, f"approved by {by}: {reason}")

    def reject(self, version: int, reason: str, by: str) -> ModelVersion:
        if not reason.strip():
            raise RegistryError("a rejection needs a reason (--reason)")
        return self._set_status(version, REJECTED, f"rejected by {by}: {reason}")

    def _set_status(self, version: int, status: str, description: str) -> ModelVersion:
        current = self.version(version)
        if current.status == status:
            raise RegistryError(f"version {version} is already {status}")
        self._update(current, status, description, current.customer_metadata)
        return self._describe(current.arn)

    def set_metadata(self, version: int, properties: dict[str, str]) -> ModelVersion:
        """Add ``properties`` to the version's customer metadata (e.g. its model card's address); status unchanged."""
        current = self.version(version)
        self._update(current, current.status, current.approval_description, {**current.customer_metadata, **properties})
        return self._describe(current.arn)

    def _update(self, current: ModelVersion, status: str, description: str, metadata: dict[str, str]) -> None:
        # Status, description and metadata always travel together: AWS merges an update into the
        # version, but moto's UpdateModelPackage resets every field the call leaves out.
        extra: dict[str, Any] = {"CustomerMetadataProperties": metadata} if metadata else {}
        self.sagemaker.update_model_package(
            ModelPackageArn=current.arn, ModelApprovalStatus=status, ApprovalDescription=description[:1024], **extra
        )

    # ---- reading -------------------------------------------------------------------------
    def arns(self, status: str | None = None) -> list[str]:
        """Version ARNs, newest first."""
        kwargs: dict[str, Any] = {"ModelPackageGroupName": self.group, "SortBy": "CreationTime", "SortOrder": "Descending"}
        if status:
            kwargs["ModelApprovalStatus"] = status
        arns: list[str] = []
        while True:
            page = self.sagemaker.list_model_packages(**kwargs)
            arns.extend(item["ModelPackageArn"] for item in page.get("ModelPackageSummaryList", []))
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        return sorted(arns, key=_version_of, reverse=True)

    def versions(self, status: str | None = None) -> list[ModelVersion]:
        return [self._describe(arn) for arn in self.arns(status)]

    def version(self, version: int) -> ModelVersion:
        arn = self.arn_for(version)
        try:
            return self._describe(arn)
        except ClientError as exc:
            raise RegistryError(f"no version {version} in model package group {self.group}") from exc
        except Exception as exc:  # moto and AWS raise different types for a missing package
            if "ValidationException" in str(exc) or "does not exist" in str(exc) or "not found" in str(exc).lower():
                raise RegistryError(f"no version {version} in model package group {self.group}") from exc
            raise

    def champion(self) -> ModelVersion | None:
        """The latest Approved version: the one a new version has to beat."""
        approved = self.arns(APPROVED)
        return self._describe(approved[0]) if approved else None

    def arn_for(self, version: int) -> str:
        for arn in self.arns():
            if _version_of(arn) == version:
                return arn
        raise RegistryError(f"no version {version} in model package group {self.group}")

    def _describe(self, arn: str) -> ModelVersion:
        d = self.sagemaker.describe_model_package(ModelPackageName=arn)
        container = d.get("InferenceSpecification", {}).get("Containers", [{}])[0]
        evaluation_uri = d.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
        return ModelVersion(
            version=int(d["ModelPackageVersion"]),
            arn=arn,
            status=str(d.get("ModelApprovalStatus") or PENDING),
            created=d["CreationTime"],
            description=d.get("ModelPackageDescription", ""),
            approval_description=d.get("ApprovalDescription", ""),
            model_data_url=container.get("ModelDataUrl", ""),
            image=container.get("Image", ""),
            evaluation_uri=evaluation_uri,
            evaluation=self._read_report(evaluation_uri),
            customer_metadata={str(k): str(v) for k, v in (d.get("CustomerMetadataProperties") or {}).items()},
        )

    def _read_report(self, uri: str | None) -> dict[str, Any]:
        if not uri:
            return {}
        location = S3Uri.parse(uri)
        try:
            body = self.s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
        except Exception:  # noqa: BLE001 - a missing report shows as no metrics, not a crash
            return {}
        report: dict[str, Any] = json.loads(body)
        return report


def _version_of(arn: str) -> int:
    return int(arn.rsplit("/", 1)[-1])


def _customer_metadata(evaluation: dict[str, Any], job: str) -> dict[str, str]:
    lineage = evaluation.get("lineage", {})
    values = {
        "git_commit": lineage.get("git", {}).get("commit"),
        "data_uri": lineage.get("data", {}).get("uri"),
        "data_sha256": evaluation.get("data", {}).get("sha256"),
        "training_job": job,
        "model": evaluation.get("model"),
        "sklearn_version": evaluation.get("environment", {}).get("sklearn_version"),
    }
    return {k: str(v)[:256] for k, v in values.items() if v}
