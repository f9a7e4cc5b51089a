"""The routes answer as the issue says: predictions, field errors as 4xx, 503 without a model, 500 only when the model fails."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from lightship import observability as names
from lightship.bundle.model_bundle import ModelBundle
from tests.unit.serving.conftest import GOOD, FakeRecord, Harness


def _values(documents: list[dict[str, Any]], metric: str) -> list[float]:
    return [v for d in documents if metric in d for v in d[metric]]


def test_predict_returns_version_predictions_probabilities_and_request_id(harness: Harness, customers_reference: ModelBundle) -> None:
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD, {**GOOD, "plan": "premium"}]})

    assert response.status_code == 200
    body = response.json()
    rows = harness.holder.live.encoder.encode({"instances": [GOOD, {**GOOD, "plan": "premium"}]})  # type: ignore[union-attr]
    expected = customers_reference.pipeline.predict_proba(rows)
    np.testing.assert_allclose(body["probabilities"], expected, rtol=0, atol=1e-4)  # ONNX in float32 (onnx_export)
    assert body["predictions"] == expected.argmax(axis=1).tolist()
    assert body["model_version"] == 1 and body["classes"] == [0, 1]
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_client_request_id_is_kept(harness: Harness) -> None:
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD]}, headers={"x-request-id": "abc-123"})
    assert response.json()["request_id"] == "abc-123"


def test_invalid_instances_get_422_with_index_field_reason_and_count_as_4xx(harness: Harness) -> None:
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD, {**GOOD, "age": "old"}]})

    assert response.status_code == 422
    assert response.json()["detail"] == [{"index": 1, "field": "age", "reason": "expected a number, got a string"}]
    harness.runtime.metrics.flush()
    assert _values(harness.documents, names.ERRORS_4XX) == [1.0]
    assert _values(harness.documents, names.ERRORS_5XX) == [0.0]


def test_a_body_over_the_limit_is_a_413(harness: Harness) -> None:
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD] * 200})
    assert response.status_code == 413
    assert response.json()["detail"][0]["field"] == "body"


def test_too_many_instances_is_a_413(harness: Harness) -> None:
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD] * 51})
    assert response.status_code == 413
    assert response.json()["detail"] == [{"index": None, "field": "instances", "reason": "51 instances; at most 50 per request"}]


def test_without_a_live_model_predict_and_health_answer_503(harness: Harness) -> None:
    harness.holder.record = FakeRecord(current=None)
    harness.holder._live = None
    harness.holder._next_check = float("-inf")
    api = TestClient(harness.app)

    assert api.post("/v1/predict", json={"instances": [GOOD]}).status_code == 503
    health = api.get("/v1/health")
    assert health.status_code == 503 and health.json()["model_loaded"] is False


def test_a_model_that_raises_gives_500_with_request_id_and_a_prediction_failure_metric(harness: Harness) -> None:
    live = harness.holder.current()
    assert live is not None

    def broken(rows: Any) -> Any:
        raise RuntimeError("boom")

    broken_model = type("Broken", (), {"predict_rows": staticmethod(broken), "classes": np.array([0, 1]), "runtime": "onnx"})()
    live.bundle.predictor, saved = broken_model, live.bundle.predictor
    try:
        response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD]})
    finally:
        live.bundle.predictor = saved

    assert response.status_code == 500 and response.json()["request_id"]
    assert "boom" not in response.text  # no internals leak to the client
    harness.runtime.metrics.flush()
    assert _values(harness.documents, names.PREDICTION_FAILURES) == [1.0]
    assert _values(harness.documents, names.ERRORS_5XX) == [1.0]


def test_model_route_shows_version_lineage_metrics_and_schema(harness: Harness) -> None:
    body = TestClient(harness.app).get("/v1/model").json()
    assert body["model_version"] == 1 and body["task"] == "classification"
    assert body["lineage"] == {"training_job": {"name": "job"}}
    assert "roc_auc" in body["metrics"]
    assert [f["name"] for f in body["feature_schema"]["features"]] == list(GOOD)
    assert (body["runtime"], body["runtime_reason"]) == ("onnx", None)


def test_openapi_documents_the_live_models_features(harness: Harness) -> None:
    document = TestClient(harness.app).get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    instance = schemas["Instance"]
    assert set(instance["properties"]) == set(GOOD) and instance["additionalProperties"] is True  # an id may ride along
    assert set(instance["required"]) == set(GOOD)
    request_ref = document["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request_ref == "#/components/schemas/PredictRequest"
    assert schemas["PredictRequest"]["properties"]["instances"]["maxItems"] == 50
    assert json.dumps(schemas["PredictRequest"]["example"]["instances"][0]["plan"]) == '"basic"'


def test_metrics_carry_the_model_version_and_role_dimensions(harness: Harness) -> None:
    api = TestClient(harness.app)
    api.post("/v1/predict", json={"instances": [GOOD] * 3})
    harness.runtime.metrics.flush()
    [document] = harness.documents
    definition = document["_aws"]["CloudWatchMetrics"][0]
    assert definition["Namespace"] == names.NAMESPACE
    assert [names.DIMENSION_ROLE, names.DIMENSION_MODEL_VERSION, "service"] in definition["Dimensions"]
    assert ["service", names.DIMENSION_ROLE] in definition["Dimensions"]  # the series the alarms watch
    assert document[names.DIMENSION_MODEL_VERSION] == "1" and document["service"] == names.SERVICE_SERVING
    assert document[names.DIMENSION_ROLE] == names.ROLE_LIVE
    assert document[names.REQUESTS] == [1.0] and document[names.INSTANCES] == [3.0]
    assert document[names.LATENCY_MS][0] > 0


def test_other_methods_on_the_predict_path_and_unknown_paths_answer_in_the_one_error_shape(harness: Harness) -> None:
    api = TestClient(harness.app)
    api.get("/v1/health")  # loads the model: errors name the live version
    wrong_method = api.get("/v1/predict", headers={"x-request-id": "r-405"})
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert wrong_method.json() == {"error": "method not allowed", "detail": [], "request_id": "r-405", "model_version": 1}
    unknown = api.post("/v1/predictions", json={"instances": [GOOD]})
    assert unknown.status_code == 404
    body = unknown.json()
    assert body["error"] == "not found" and body["request_id"] == unknown.headers["x-request-id"] and body["detail"] == []
