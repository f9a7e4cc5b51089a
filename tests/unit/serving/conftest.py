"""A real bundle trained in process, and the serving app around it with an in-memory record and loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lightship.bundle.model_bundle import ModelBundle, load_bundle
from lightship.deployment.record import Deployment
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
from lightship.training.data import load_training_data
from lightship.training.run import train, write

GOOD = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": "basic", "region": "north"}


@pytest.fixture(scope="session")
def customers_bundle_dir(tmp_path_factory: pytest.TempPathFactory, customers_frame: Any) -> Path:
    tmp = tmp_path_factory.mktemp("bundle")
    path = Path(tmp) / "customers.csv"
    customers_frame.to_csv(path, index=False)
    return write(train(load_training_data(path, "churned"), "logistic", {}), Path(tmp) / "model")


@pytest.fixture(scope="session")
def customers_bundle(customers_bundle_dir: Path) -> ModelBundle:
    """As serving loads it: with ONNX Runtime."""
    return load_bundle(customers_bundle_dir)


@pytest.fixture(scope="session")
def customers_reference(customers_bundle_dir: Path) -> ModelBundle:
    """The same bundle's scikit-learn pipeline: the reference ONNX answers must match."""
    return load_bundle(customers_bundle_dir, runtime="sklearn")


def deployment(version: int, revision: int | None = None, url: str | None = None) -> Deployment:
    return Deployment(
        version=version,
        package_arn=f"arn:aws:sagemaker:us-east-1:123456789012:model-package/g/{version}",
        model_data_url=url or f"s3://artifacts/models/v{version}/model.tar.gz",
        revision=revision or version,
        action="deploy",
        reason="test",
        by="tests",
        at="2026-11-23T00:00:00+00:00",
        details={"lineage": {"training_job": {"name": "job"}}},
    )


@dataclass
class FakeRecord:
    """The deployment record as serving reads it; counts reads."""

    current: Deployment | None = None
    reads: int = 0
    error: Exception | None = None

    def live(self, consistent: bool = True) -> Deployment | None:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return self.current


@dataclass
class FakeLoader:
    bundles: dict[str, ModelBundle] = field(default_factory=dict)
    loads: list[str] = field(default_factory=list)

    def __call__(self, model_data_url: str) -> ModelBundle:
        self.loads.append(model_data_url)
        if model_data_url not in self.bundles:
            raise FileNotFoundError(f"{model_data_url}: no such object")
        return self.bundles[model_data_url]


@dataclass
class Harness:
    record: FakeRecord
    loader: FakeLoader
    holder: ModelHolder
    documents: list[dict[str, Any]]
    runtime: ServingRuntime
    app: Any


@pytest.fixture
def harness(customers_bundle: ModelBundle) -> Harness:
    live = deployment(1)
    record = FakeRecord(current=live)
    loader = FakeLoader({live.model_data_url: customers_bundle})
    documents: list[dict[str, Any]] = []
    metrics = ServingMetrics(sinks=[documents.append])
    holder = ModelHolder(record, loader, ttl_seconds=3600, max_instances=50)
    runtime = ServingRuntime(holder, metrics, None, max_body_bytes=20_000, max_instances=50)
    return Harness(record, loader, holder, documents, runtime, create_app(runtime))
