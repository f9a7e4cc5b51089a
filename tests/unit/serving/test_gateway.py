"""The Lambda adapter serves both API Gateway payloads, at the root or behind a stage, docs included."""

from __future__ import annotations

import json

import pytest

from lightship.serving.gateway import make_handler
from tests.support.events import http_api_v2, lambda_context, rest_api_v1
from tests.unit.serving.conftest import GOOD, Harness


@pytest.mark.parametrize("stage", ["$default", "prod"])
def test_http_api_v2_event_gets_a_prediction(harness: Harness, stage: str) -> None:
    handler = make_handler(harness.app)
    response = handler(http_api_v2("POST", "/v1/predict", {"instances": [GOOD]}, stage=stage), lambda_context("req-v2"))

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["model_version"] == 1 and len(body["predictions"]) == 1
    assert body["request_id"] == "req-v2"  # Lambda's request id, so logs and responses match


def test_rest_api_v1_event_gets_a_prediction(harness: Harness) -> None:
    response = make_handler(harness.app)(rest_api_v1("POST", "/v1/predict", {"instances": [GOOD]}), lambda_context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["model_version"] == 1


@pytest.mark.parametrize(
    "event",
    [
        http_api_v2("POST", "/v1/predict", {"instances": [{**GOOD, "plan": 1}]}, stage="prod"),
        rest_api_v1("POST", "/v1/predict", {"instances": [{**GOOD, "plan": 1}]}),
    ],
    ids=["http-v2", "rest-v1"],
)
def test_bad_input_through_lambda_is_a_422_with_index_and_field(harness: Harness, event: dict) -> None:
    response = make_handler(harness.app)(event, lambda_context())
    assert response["statusCode"] == 422
    assert json.loads(response["body"])["detail"] == [{"index": 0, "field": "plan", "reason": "expected a category (string), got a number"}]


@pytest.mark.parametrize(
    ("event", "prefix"),
    [
        (http_api_v2("GET", "/docs", stage="$default"), ""),
        (http_api_v2("GET", "/docs", stage="prod"), "/prod"),
        (rest_api_v1("GET", "/docs", stage="prod"), "/prod"),
    ],
    ids=["http-default-stage", "http-named-stage", "rest-stage"],
)
def test_docs_behind_a_stage_load_the_openapi_document_from_inside_the_stage(harness: Harness, event: dict, prefix: str) -> None:
    handler = make_handler(harness.app)
    docs = handler(event, lambda_context())

    assert docs["statusCode"] == 200
    assert f"url: '{prefix}/openapi.json'" in docs["body"]
    openapi_event = http_api_v2("GET", "/openapi.json", stage=event["requestContext"]["stage"]) if "version" in event else rest_api_v1("GET", "/openapi.json")
    document = json.loads(handler(openapi_event, lambda_context())["body"])
    assert set(document["components"]["schemas"]["Instance"]["properties"]) == set(GOOD)


def test_a_custom_domain_base_path_is_the_root_path_too(harness: Harness) -> None:
    handler = make_handler(harness.app, base_path="ml")
    docs = handler(http_api_v2("GET", "/ml/docs"), lambda_context())
    assert docs["statusCode"] == 200 and "url: '/ml/openapi.json'" in docs["body"]
    health = handler(http_api_v2("GET", "/ml/v1/health"), lambda_context())
    assert json.loads(health["body"])["model_loaded"] is True
