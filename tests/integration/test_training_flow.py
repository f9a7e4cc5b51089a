"""Train, register and gate on the emulator: the job runs SageMaker's script-mode contract,
the version carries lineage and metrics, and failures register nothing."""

import json
from pathlib import Path

import pandas as pd
import pytest

from lightship.bundle.model_bundle import load_bundle
from lightship.clients import client
from lightship.errors import DataError, TrainingJobFailed
from lightship.local.emulator import LocalEmulator
from lightship.registry.model_registry import ModelRegistry
from lightship.s3uri import S3Uri
from lightship.settings import GateSettings, Settings
from lightship.training.features import frame_to_rows
from lightship.training.workflow import AwsClients, TrainRequest, train_and_register


def _clients() -> AwsClients:
    return AwsClients(s3=client("s3"), sagemaker=client("sagemaker"), sts=client("sts"))


def _train(emulator: LocalEmulator, settings: Settings, data: Path | str, model: str = "logistic", **params: object):  # type: ignore[no-untyped-def]
    assert emulator.resources is not None
    request = TrainRequest(data=str(data), target="churned", model=model, params=dict(params))
    # A bar every model clears on this data, so the champion comparison decides.
    gated = settings.model_copy(update={"gate": GateSettings(classification_min=0.6)})
    return train_and_register(request, gated, emulator.resources, _clients(), poll_seconds=0.1)


def test_training_job_runs_the_script_and_registers_a_version_with_lineage(emulator: LocalEmulator, settings: Settings, customers_csv: Path) -> None:
    outcome = _train(emulator, settings, customers_csv, C=0.5)
    job = client("sagemaker").describe_training_job(TrainingJobName=outcome.job.name)
    assert job["TrainingJobStatus"] == "Completed"
    assert job["HyperParameters"]["sagemaker_program"] == '"train.py"'
    assert job["AlgorithmSpecification"]["TrainingImage"].endswith("sagemaker-scikit-learn:1.9-0-cpu-py3")

    version = outcome.version
    assert version.version == 1 and version.status == "Approved"
    assert version.model_data_url == job["ModelArtifacts"]["S3ModelArtifacts"]
    lineage = version.lineage
    assert len(lineage["git"]["commit"]) == 40
    assert lineage["data"]["uri"].startswith(f"s3://{emulator.resources.data_bucket}/training/customers/")  # type: ignore[union-attr]
    (obj,) = lineage["data"]["objects"]
    assert obj["version_id"] and obj["etag"]
    assert lineage["data"]["sha256"] == version.evaluation["data"]["sha256"]
    assert lineage["hyperparameters"] == {"model": "logistic", "seed": 42, "C": 0.5}
    assert lineage["training_job"]["name"] == outcome.job.name

    described = client("sagemaker").describe_model_package(ModelPackageName=version.arn)
    assert described["MetadataProperties"]["CommitId"] == lineage["git"]["commit"]
    assert described["ApprovalDescription"].startswith("gate: roc_auc")
    report = S3Uri.parse(described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"])
    stored = json.loads(client("s3").get_object(Bucket=report.bucket, Key=report.key)["Body"].read())
    assert stored["lineage"]["training_job"]["arn"] == job["TrainingJobArn"]
    assert stored["gate"]["approved"] is True

    logs = client("logs").describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=outcome.job.name)
    assert logs["logStreams"], "the script's output reaches CloudWatch Logs as on SageMaker"
    stream = logs["logStreams"][0]["logStreamName"]
    lines = [e["message"] for e in client("logs").get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)["events"]]
    # SageMaker's training toolkit ran the script, with its own command line: one-letter names take one dash.
    (command,) = [line for line in lines if line.strip().endswith("--target churned") and "train.py" in line]
    assert " -C 0.5 " in command and "--C" not in command


def test_gate_approves_a_better_version_and_holds_a_worse_one(emulator: LocalEmulator, settings: Settings, customers_csv: Path) -> None:
    # On this data (ROC AUC): a stunted forest ~0.69, logistic C=1 ~0.74 (better by far more than the
    # 0.01 margin), logistic C=0.0001 ~0.737 (below the new champion).
    first = _train(emulator, settings, customers_csv, model="random_forest", max_depth=2, n_estimators=10)
    better = _train(emulator, settings, customers_csv, C=1.0)
    worse = _train(emulator, settings, customers_csv, C=0.0001)
    assert (first.version.status, better.version.status, worse.version.status) == ("Approved", "Approved", "PendingManualApproval")
    assert f"champion v{better.version.version}" in worse.decision.reason
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), emulator.resources.artifact_bucket)  # type: ignore[union-attr]
    assert registry.champion().version == better.version.version  # type: ignore[union-attr]
    assert [v.version for v in registry.versions()] == [3, 2, 1]


def test_retraining_the_same_data_and_parameters_reproduces_metrics_and_predictions_and_the_gate_holds_the_twin(emulator: LocalEmulator, settings: Settings, customers_csv: Path, customers_frame: pd.DataFrame) -> None:
    a = _train(emulator, settings, customers_csv, model="hist_gradient_boosting", max_iter=50)
    b = _train(emulator, settings, customers_csv, model="hist_gradient_boosting", max_iter=50)
    assert a.version.metrics == b.version.metrics
    # A twin of the champion is not "better": the gate holds it for a person.
    assert (a.version.status, b.version.status) == ("Approved", "PendingManualApproval")
    assert f"does not beat champion v{a.version.version}" in b.decision.reason
    s3 = client("s3")

    def predictions(url: str):  # type: ignore[no-untyped-def]
        uri = S3Uri.parse(url)
        bundle = load_bundle(s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read())
        return bundle.predict_rows(frame_to_rows(customers_frame, bundle.schema))[1]

    assert (predictions(a.version.model_data_url) == predictions(b.version.model_data_url)).all()
    assert a.version.lineage["data"]["uri"] == b.version.lineage["data"]["uri"]  # same content, same key


def test_failed_training_job_keeps_its_reason_and_registers_nothing(emulator: LocalEmulator, settings: Settings, tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    one_class = customers_frame.assign(churned=1)
    key = "training/one-class/data.csv"
    s3 = client("s3")
    s3.put_object(Bucket=emulator.resources.data_bucket, Key=key, Body=one_class.to_csv(index=False).encode())  # type: ignore[union-attr]
    with pytest.raises(TrainingJobFailed, match="failed: AlgorithmError: DataError: .*has one class.*nothing was registered"):
        _train(emulator, settings, f"s3://{emulator.resources.data_bucket}/{key}")  # type: ignore[union-attr]
    jobs = client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert [j["TrainingJobStatus"] for j in jobs] == ["Failed"]
    failed = client("sagemaker").describe_training_job(TrainingJobName=jobs[0]["TrainingJobName"])
    assert "has one class" in failed["FailureReason"]
    packages = client("sagemaker").list_model_packages(ModelPackageGroupName=settings.model_package_group)
    assert packages["ModelPackageSummaryList"] == []


def test_bad_local_file_is_refused_before_anything_is_uploaded(emulator: LocalEmulator, settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="bad.csv: no target column 'churned'"):
        _train(emulator, settings, bad)
    listed = client("s3").list_objects_v2(Bucket=emulator.resources.data_bucket)  # type: ignore[union-attr]
    assert listed.get("KeyCount", 0) == 0
    assert client("sagemaker").list_training_jobs()["TrainingJobSummaries"] == []


def test_s3_data_outside_the_training_prefix_is_refused(emulator: LocalEmulator, settings: Settings) -> None:
    with pytest.raises(DataError, match="must be under s3://.*/training/"):
        _train(emulator, settings, f"s3://{emulator.resources.artifact_bucket}/elsewhere.csv")  # type: ignore[union-attr]
