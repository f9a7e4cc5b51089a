"""A serving harness during a release: the in-memory record names a live version and a candidate."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from lightship.bundle.model_bundle import ModelBundle
from lightship.bundle.predictors import SklearnPredictor
from lightship.deployment.release_state import CANARY, Release
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
from lightship.serving.shadow import ShadowScorer
from tests.unit.serving.conftest import FakeLoader, FakeRecord, Harness, deployment


def release(candidate: int = 2, mode: str = CANARY, weight: float = 10.0, release_id: str = "r-test") -> Release:
    return Release(
        id=release_id, candidate_version=candidate,
        candidate_package_arn=f"arn:aws:sagemaker:us-east-1:123456789012:model-package/g/{candidate}",
        candidate_model_data_url=f"s3://artifacts/models/v{candidate}/model.tar.gz", mode=mode,  # type: ignore[arg-type]
        steps=(weight,), step=0, bake_seconds=0.0, min_requests=1, max_holds=1,
        started_at="2026-11-23T00:00:00+00:00", step_started_at="2026-11-23T00:00:00+00:00",
    )


class RaisingPipeline:
    """A candidate whose model raises on every prediction."""

    def __init__(self, pipeline: Any) -> None:
        self.classes_ = pipeline.classes_

    def predict_proba(self, rows: Any) -> Any:
        raise RuntimeError("candidate defect")


class HangingPipeline:
    """A candidate that hangs until released (or ``seconds`` pass)."""

    def __init__(self, pipeline: Any, seconds: float) -> None:
        self.pipeline = pipeline
        self.classes_ = pipeline.classes_
        self.seconds = seconds
        self.release = threading.Event()

    def predict_proba(self, rows: Any) -> Any:
        self.release.wait(self.seconds)
        return self.pipeline.predict_proba(rows)


class FlippedPipeline:
    """A candidate that answers the other class with the complementary probability: disagrees everywhere."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.classes_ = pipeline.classes_

    def predict_proba(self, rows: Any) -> Any:
        return self.pipeline.predict_proba(rows)[:, ::-1]


def with_pipeline(bundle: ModelBundle, pipeline: Any) -> ModelBundle:
    """``bundle`` predicting with ``pipeline`` (a scikit-learn-like stand-in) instead of its own model."""
    return dataclasses.replace(bundle, predictor=SklearnPredictor(pipeline, bundle.task))


def release_harness(live_bundle: ModelBundle, candidate_bundle: ModelBundle | None, rel: Release,
                    deadline_seconds: float = 0.5) -> Harness:
    """Live version 1 and the release ``rel``; a candidate bundle of None fails to load."""
    live = dataclasses.replace(deployment(1), release=rel.to_json())
    record = FakeRecord(current=live)
    bundles = {live.model_data_url: live_bundle}
    if candidate_bundle is not None:
        bundles[rel.candidate_model_data_url] = candidate_bundle
    loader = FakeLoader(bundles)
    documents: list[dict[str, Any]] = []
    metrics = ServingMetrics(sinks=[documents.append])
    holder = ModelHolder(record, loader, ttl_seconds=3600, max_instances=50,
                         on_load_failure=lambda f: metrics.count("ModelLoadFailures", f.version, role=f.role))
    shadow = ShadowScorer(metrics, None, deadline_seconds)
    runtime = ServingRuntime(holder, metrics, None, max_body_bytes=20_000, max_instances=50, shadow=shadow)
    return Harness(record, loader, holder, documents, runtime, create_app(runtime))
