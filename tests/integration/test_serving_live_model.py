"""The serving app against the emulator: it serves what the record names, follows changes,
and keeps the model it has when a new one fails to load."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lightship import observability as names
from lightship.clients import client
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.local.emulator import LocalEmulator
from lightship.registry.model_registry import ModelRegistry
from lightship.s3uri import S3Uri
from lightship.serving.local_server import serve_in_thread
from lightship.serving.runtime import Serving, build_serving
from lightship.settings import Settings
from tests.support.models import register_trained

GOOD = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": "basic", "region": "north"}


@pytest.fixture
def documents() -> list[dict[str, Any]]:
    return []


def _serving(settings: Settings, documents: list[dict[str, Any]], ttl: float = 0.0, capture: float = 0.0) -> Serving:
    tuned = settings.model_copy(
        update={"serving": settings.serving.model_copy(update={"record_ttl_seconds": ttl, "capture_sample_rate": capture})}
    )
    return build_serving(tuned, metric_sinks=[documents.append])


def _deploy(settings: Settings, emulator: LocalEmulator, version: int, reason: str = "test") -> None:
    assert emulator.resources is not None
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), emulator.resources.artifact_bucket)
    deploy(registry, DeploymentRecord(client("dynamodb"), emulator.resources.deployment_table), version, reason=reason, by="tests")


def _metric_values(documents: list[dict[str, Any]], metric: str, version: int) -> list[float]:
    values: list[float] = []
    for doc in documents:
        if doc.get("ModelVersion") == str(version) and metric in doc:
            values.extend(doc[metric])
    return values


def test_serving_answers_503_until_a_version_is_deployed_then_serves_it(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, documents: list[dict[str, Any]]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    serving = _serving(settings, documents)
    api = TestClient(serving.app)

    assert api.post("/v1/predict", json={"instances": [GOOD]}).status_code == 503
    assert api.get("/v1/health").json()["model_loaded"] is False

    _deploy(settings, emulator, v1.version)
    response = api.post("/v1/predict", json={"instances": [GOOD, GOOD]})

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == v1.version and len(body["predictions"]) == 2
    assert body["classes"] == [0, 1] and all(abs(sum(p) - 1) < 1e-9 for p in body["probabilities"])
    assert response.headers["x-model-version"] == str(v1.version)
    model = api.get("/v1/model").json()
    assert model["model_version"] == v1.version and model["lineage"]["training_job"]["name"] == "job-1"
    assert [f["name"] for f in model["feature_schema"]["features"]] == list(GOOD)
    serving.runtime.metrics.flush()
    assert _metric_values(documents, names.REQUESTS, v1.version) == [1.0]


def test_a_new_deployment_is_picked_up_after_the_ttl_and_metrics_follow_the_version(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, documents: list[dict[str, Any]]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 0.001}, name="job-1", approve=True)
    v2 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    _deploy(settings, emulator, v1.version)
    serving = _serving(settings, documents)
    api = TestClient(serving.app)
    first = api.post("/v1/predict", json={"instances": [GOOD]}).json()

    _deploy(settings, emulator, v2.version, reason="better")
    second = api.post("/v1/predict", json={"instances": [GOOD]}).json()

    assert (first["model_version"], second["model_version"]) == (v1.version, v2.version)
    assert first["probabilities"] != second["probabilities"]  # really another model, not a relabelled one
    serving.runtime.metrics.flush()
    assert _metric_values(documents, names.REQUESTS, v1.version) == [1.0]
    assert _metric_values(documents, names.REQUESTS, v2.version) == [1.0]


def test_within_the_ttl_a_warm_request_does_no_record_or_s3_io(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, documents: list[dict[str, Any]]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    _deploy(settings, emulator, v1.version)
    # The serving app gets its two AWS clients from here, each watched for every call it makes:
    # the record (DynamoDB) and the bundles, capture and shadow logs (S3).
    dynamodb, s3 = client("dynamodb"), client("s3")
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.service_name}.{model.name}")

    for watched in (dynamodb, s3):
        watched.meta.events.register("before-call.*.*", note)
    tuned = settings.model_copy(
        update={"serving": settings.serving.model_copy(update={"record_ttl_seconds": 3600, "capture_sample_rate": 0.0})}
    )
    serving = build_serving(tuned, metric_sinks=[documents.append], dynamodb=dynamodb, s3=s3)
    # The cold start read the record and fetched the bundle through these very clients.
    assert "dynamodb.Query" in calls or "dynamodb.GetItem" in calls, calls
    assert "s3.GetObject" in calls, calls
    calls.clear()
    api = TestClient(serving.app)

    for _ in range(5):
        assert api.post("/v1/predict", json={"instances": [GOOD]}).status_code == 200

    assert calls == []


def test_a_bundle_that_fails_to_load_leaves_the_old_model_serving_and_counts_a_failure(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, documents: list[dict[str, Any]]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    v2 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 0.5}, name="job-2", approve=True)
    broken = S3Uri.parse(v2.model_data_url)
    client("s3").put_object(Bucket=broken.bucket, Key=broken.key, Body=b"not a tarball")
    _deploy(settings, emulator, v1.version)
    serving = _serving(settings, documents)
    api = TestClient(serving.app)

    _deploy(settings, emulator, v2.version, reason="bad upload")
    response = api.post("/v1/predict", json={"instances": [GOOD]})

    assert response.status_code == 200 and response.json()["model_version"] == v1.version
    assert _metric_values(documents, names.MODEL_LOAD_FAILURES, v2.version) == [1.0]  # flushed at once, not at the next request
    health = api.get("/v1/health").json()
    assert health["model_version"] == v1.version
    assert health["last_load_failure"].startswith(f"version {v2.version}: BundleError")


def test_sampled_inference_capture_lands_in_s3_as_json_lines(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, documents: list[dict[str, Any]]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    _deploy(settings, emulator, v1.version)
    serving = _serving(settings, documents, ttl=60, capture=1.0)
    api = TestClient(serving.app)
    api.post("/v1/predict", json={"instances": [GOOD, {**GOOD, "plan": "premium"}]})
    api.post("/v1/predict", json={"instances": [{**GOOD, "tenure_months": "x"}]})  # refused: not captured

    serving.close()

    capture = serving.runtime.capture
    assert capture is not None and len(capture.written) == 1
    key = capture.written[0]
    assert key.startswith(f"{settings.capture_prefix}/model_version={v1.version}/date=")
    body = client("s3").get_object(Bucket=emulator.resources.data_bucket, Key=key)["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["features"]["plan"] for line in lines] == ["basic", "premium"]
    assert all(line["model_version"] == v1.version and len(line["probabilities"]) == 2 for line in lines)


def test_uvicorn_serves_predictions_and_field_errors_over_http(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, documents: list[dict[str, Any]]
) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    _deploy(settings, emulator, v1.version)
    serving = _serving(settings, documents, ttl=60)

    with serve_in_thread(serving.app) as url:
        good = httpx.post(f"{url}/v1/predict", json={"instances": [GOOD]})
        bad = httpx.post(f"{url}/v1/predict", json={"instances": [GOOD, {**GOOD, "plan": 7, "colour": "red"}]})
        docs = httpx.get(f"{url}/docs")
        openapi = httpx.get(f"{url}/openapi.json").json()

    assert good.status_code == 200 and good.json()["model_version"] == v1.version
    assert bad.status_code == 422
    assert {(d["index"], d["field"]) for d in bad.json()["detail"]} == {(1, "plan")}  # "colour" is not the model's: left alone
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    instance = openapi["components"]["schemas"]["Instance"]
    assert set(instance["properties"]) == set(GOOD)
