"""Registering model versions in tests without running a training job: train in process,
pack the bundle, upload it where a job would put it, and register it through the registry."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from lightship.bundle.model_bundle import pack_bundle
from lightship.clients import client
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.resources import Resources
from lightship.settings import Settings
from lightship.training.data import load_training_data
from lightship.training.run import train, write


def register_trained(
    settings: Settings,
    resources: Resources,
    frame: pd.DataFrame,
    target: str,
    model: str = "logistic",
    params: dict[str, Any] | None = None,
    name: str = "test-job",
    approve: bool | None = None,
    without_onnx: str | None = None,
) -> ModelVersion:
    """Train ``model`` on ``frame``, upload ``model.tar.gz``, register; optionally force the status.
    ``without_onnx`` (a reason) registers a bundle without ``model.onnx``, served by scikit-learn."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        frame.to_csv(path, index=False)
        result = train(load_training_data(path, target), model, params or {})
        if without_onnx is not None:
            result.without_onnx(without_onnx)
        bundle_dir = write(result, Path(tmp) / "model")
        body = pack_bundle(bundle_dir)
    s3 = client("s3")
    key = f"{settings.model_prefix}/{name}/output/model.tar.gz"
    s3.put_object(Bucket=resources.artifact_bucket, Key=key, Body=body)
    evaluation = dict(result.evaluation)
    evaluation["lineage"] = {"git": {"commit": "test"}, "data": {"uri": "inline"}, "training_job": {"name": name}}
    registry = ModelRegistry(settings, client("sagemaker"), s3, resources.artifact_bucket)
    version, _ = registry.register(
        model_data_url=f"s3://{resources.artifact_bucket}/{key}",
        evaluation=evaluation,
        image="sklearn-image",
        training_job_name=name,
        training_job_arn=f"arn:aws:sagemaker:{resources.region}:{resources.account}:training-job/{name}",
    )
    if approve is True and version.status != "Approved":
        version = registry.approve(version.version, "test", "tests")
    if approve is False and version.status == "Approved":
        version = registry.reject(version.version, "test", "tests")
    return version
