"""``lightship train --segments`` on the emulator: the segments travel to the job as a hyperparameter,
land in evaluation.json and the registry's report, and a planted gap holds the version with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lightship.bundle.model_bundle import load_bundle
from lightship.cli.main import main
from lightship.clients import client
from lightship.datasets import customers
from lightship.local.emulator import LocalEmulator
from lightship.s3uri import S3Uri


@pytest.fixture
def planted_csv(tmp_path: Path) -> Path:
    frame = customers(rows=3000, seed=11)
    west = (frame["region"] == "west").to_numpy()
    # West's labels shuffled among its own rows: the model cannot be better than chance there.
    frame.loc[west, "churned"] = np.random.default_rng(0).permutation(frame.loc[west, "churned"].to_numpy())
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_train_with_segments_stores_them_and_a_planted_gap_waits_for_a_person(
    emulator: LocalEmulator, planted_csv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIGHTSHIP_GATE__CLASSIFICATION_MIN", "0.6")  # overall, the version clears the bar
    monkeypatch.setenv("LIGHTSHIP_GATE__MAX_SEGMENT_GAP", "0.15")
    assert main(["train", "--data", str(planted_csv), "--target", "churned", "--model", "logistic", "--segments", "region,plan"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps the reason at the terminal's width
    assert "PendingManualApproval" in out and "worst segment region=west" in out

    assert main(["models", "show", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "PendingManualApproval"
    assert "clears 0.6000; no champion yet; but worst segment region=west roc_auc" in shown["approval_description"]
    assert shown["approval_description"].endswith("; waiting for a person")
    segments = shown["segments"]
    assert segments["columns"] == ["region", "plan"]
    for column in ("region", "plan"):
        assert sum(s["rows"] for s in segments["by_column"][column]) == segments["holdout_rows"]
    assert {s["value"] for s in segments["by_column"]["region"]} == {"north", "south", "east", "west", "(missing)"}

    # The job received them as a hyperparameter, and the bundle's evaluation.json holds them.
    sagemaker = client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=sagemaker.list_model_packages(
        ModelPackageGroupName="lightship-models")["ModelPackageSummaryList"][0]["ModelPackageArn"])
    job_name = package["MetadataProperties"]["GeneratedBy"].rsplit("/", 1)[-1]
    job = sagemaker.describe_training_job(TrainingJobName=job_name)
    assert json.loads(job["HyperParameters"]["segments"]) == "region,plan"
    bundle_uri = S3Uri.parse(job["ModelArtifacts"]["S3ModelArtifacts"])
    bundle = load_bundle(client("s3").get_object(Bucket=bundle_uri.bucket, Key=bundle_uri.key)["Body"].read())
    assert bundle.evaluation["segments"]["by_column"] == segments["by_column"]

    assert main(["models", "show", "1"]) == 0
    table = capsys.readouterr().out
    assert "Segments by region" in table and "Segments by plan" in table and "west" in table


def test_an_unknown_segment_column_is_refused_before_anything_is_uploaded(
    emulator: LocalEmulator, customers_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--data", str(customers_csv), "--target", "churned", "--segments", "country"]) == 1
    err = capsys.readouterr().err
    assert "--segments country: no such column in the training data" in err and "Traceback" not in err
    assert client("sagemaker").list_training_jobs()["TrainingJobSummaries"] == []
