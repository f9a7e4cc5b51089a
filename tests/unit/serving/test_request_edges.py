"""A 5xx only when the model raises: every body that cannot be read or parsed, every content type
and route we do not serve, answers 4xx in the one error shape, with a request id and its metrics
line; numbers outside the training range follow ``rows.out_of_range``. Through the ASGI app and
through the Lambda handler with API Gateway events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lightship import observability as names
from lightship.bundle.row_contract import RowPolicy
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.gateway import make_handler
from lightship.serving.model_holder import ModelHolder
from tests.support.events import http_api_v2, lambda_context, rest_api_v1
from tests.unit.serving.conftest import GOOD, Harness

NESTED = b"[" * 3000 + b"]" * 3000  # 6 KB; json.loads raises RecursionError on it
UNPARSEABLE = {
    "nested-3000-deep": NESTED,
    "nested-inside-instances": b'{"instances": [' + NESTED + b"]}",
    "not-json": b"{not json",
    "nan-literal": b'{"instances": [{"age": NaN}]}',
    "infinity-literal": b'{"instances": [{"age": -Infinity}]}',
    "not-utf8": b'{"instances": ["\xff\xfe"]}',
    "empty": b"",
}


def _lines(harness: Harness) -> list[dict[str, Any]]:
    return [d for d in harness.documents if names.REQUESTS in d]


def _assert_one_error_line(harness: Harness, status: int, request_id: str) -> None:
    [line] = _lines(harness)
    assert line["status"] == status and line["request_id"] == request_id
    assert line[names.ERRORS_4XX] == [1.0] and line[names.ERRORS_5XX] == [0.0]


@pytest.mark.parametrize("body", list(UNPARSEABLE.values()), ids=list(UNPARSEABLE))
def test_a_body_that_cannot_be_parsed_is_a_400_with_a_reason_a_request_id_and_a_metrics_line(harness: Harness, body: bytes) -> None:
    response = TestClient(harness.app).post("/v1/predict", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "invalid JSON" and answer["request_id"] == response.headers["x-request-id"]
    [detail] = answer["detail"]
    assert detail["field"] == "body" and detail["reason"].startswith("not valid JSON")
    _assert_one_error_line(harness, 400, answer["request_id"])


def _raw(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    event["body"] = body.decode("latin-1")
    return event


@pytest.mark.parametrize("shape", ["http-v2", "rest-v1"])
@pytest.mark.parametrize("body", [NESTED, b"{not json", b'{"instances": [{"age": NaN}]}'], ids=["nested", "not-json", "nan"])
def test_an_unparseable_body_through_api_gateway_is_a_400_with_lambdas_request_id(harness: Harness, shape: str, body: bytes) -> None:
    event = http_api_v2("POST", "/v1/predict", stage="prod") if shape == "http-v2" else rest_api_v1("POST", "/v1/predict")
    response = make_handler(harness.app)(_raw(event, body), lambda_context("req-400"))

    assert response["statusCode"] == 400
    answer = json.loads(response["body"])
    assert answer["request_id"] == "req-400" and answer["detail"][0]["field"] == "body"
    _assert_one_error_line(harness, 400, "req-400")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_declared_json_is_a_415_even_when_it_parses(harness: Harness, content_type: str) -> None:
    body = json.dumps({"instances": [GOOD]}).encode()
    response = TestClient(harness.app).post("/v1/predict", content=body, headers={"content-type": content_type, "x-request-id": "r-415"})

    assert response.status_code == 415
    [detail] = response.json()["detail"]
    assert detail["field"] == "content-type" and "application/json" in detail["reason"]
    _assert_one_error_line(harness, 415, "r-415")


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "application/vnd.lightship+json", None])
def test_json_content_types_are_accepted(harness: Harness, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    client = TestClient(harness.app)
    request = client.build_request("POST", "/v1/predict", content=json.dumps({"instances": [GOOD]}).encode(), headers=headers)
    assert ("content-type" in request.headers) == (content_type is not None)
    assert client.send(request).status_code == 200


def test_a_body_without_content_length_is_limited_too(harness: Harness) -> None:
    def chunks() -> Iterator[bytes]:  # streamed: the client sends Transfer-Encoding: chunked, no length
        for _ in range(100):
            yield b" " * 1000

    response = TestClient(harness.app).post("/v1/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"][0]["reason"] == "more than 20000 bytes; at most 20000 per request"
    [line] = _lines(harness)
    assert line["status"] == 413


def test_a_body_over_the_limit_on_another_route_is_a_413_in_the_same_shape(harness: Harness) -> None:
    response = TestClient(harness.app).put("/v1/health", content=b"x" * 30_000)
    assert response.status_code == 413
    assert response.json()["detail"] == [{"index": None, "field": "body", "reason": "30000 bytes; at most 20000 per request"}]


def test_a_boolean_for_a_category_training_saw_as_text_is_refused(harness: Harness) -> None:
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [{**GOOD, "plan": True}]})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"index": 0, "field": "plan", "reason": "expected a category (string), got a boolean"}]


def test_an_out_of_range_number_is_scored_flagged_and_counted(harness: Harness) -> None:
    far = {**GOOD, "age": 1e308}
    response = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD, far, {**GOOD, "tenure_months": -5.0, "age": 1e308}]})

    assert response.status_code == 200
    body = response.json()
    assert len(body["predictions"]) == 3
    assert body["flagged"] == [[], ["age"], ["tenure_months", "age"]]
    [line] = _lines(harness)
    assert line[names.OUT_OF_RANGE_INSTANCES] == [2.0] and line[names.INSTANCES] == [3.0]


def test_in_range_requests_carry_no_flags(harness: Harness) -> None:
    body = TestClient(harness.app).post("/v1/predict", json={"instances": [GOOD]}).json()
    assert body["flagged"] is None
    [line] = _lines(harness)
    assert line[names.OUT_OF_RANGE_INSTANCES] == [0.0]


def test_with_policy_reject_an_out_of_range_number_is_a_422_naming_the_range(harness: Harness) -> None:
    holder = ModelHolder(harness.record, harness.loader, ttl_seconds=3600, max_instances=50, policy=RowPolicy(out_of_range="reject"))
    app = create_app(ServingRuntime(holder, harness.runtime.metrics, None, 20_000, 50))
    response = TestClient(app).post("/v1/predict", json={"instances": [GOOD, {**GOOD, "age": 1e308}]})

    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert (detail["index"], detail["field"]) == (1, "age")
    assert detail["reason"].startswith("outside the range seen in training [")


def test_with_policy_accept_an_out_of_range_number_is_scored_silently(harness: Harness) -> None:
    holder = ModelHolder(harness.record, harness.loader, ttl_seconds=3600, max_instances=50, policy=RowPolicy(out_of_range="accept"))
    app = create_app(ServingRuntime(holder, harness.runtime.metrics, None, 20_000, 50))
    body = TestClient(app).post("/v1/predict", json={"instances": [{**GOOD, "age": 1e308}]}).json()
    assert len(body["predictions"]) == 1 and body["flagged"] is None
