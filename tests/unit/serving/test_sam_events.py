"""AWS's own sample API Gateway events (SAM CLI's ``generate-event``, recorded unedited in
tests/events/sam with the command that made each) answer through the Lambda handler: base64
bodies, SAM's headers, cookies and query strings, HTTP API payload 2.0 and REST API 1.0 behind a stage."""

from __future__ import annotations

import base64
import json

import pytest

from lightship.serving.gateway import make_handler
from tests.support.events import lambda_context, sam_event
from tests.unit.serving.conftest import GOOD, Harness


@pytest.mark.parametrize("name", ["http_api_proxy_predict", "aws_proxy_predict"])
def test_sams_predict_events_get_a_prediction(harness: Harness, name: str) -> None:
    event = sam_event(name)
    assert event["isBase64Encoded"] is True  # as recorded: the app must decode it
    assert json.loads(base64.b64decode(event["body"])) == {"instances": [GOOD]}

    response = make_handler(harness.app)(event, lambda_context(f"req-{name}"))

    assert response["statusCode"] == 200, response
    body = json.loads(response["body"])
    assert body["model_version"] == 1 and len(body["predictions"]) == 1 and len(body["probabilities"][0]) == 2
    assert body["request_id"] == f"req-{name}"


@pytest.mark.parametrize(("name", "prefix"), [("http_api_proxy_docs", ""), ("aws_proxy_docs", "/prod")])
def test_sams_docs_events_serve_docs_that_load_the_openapi_document_inside_the_stage(harness: Harness, name: str, prefix: str) -> None:
    response = make_handler(harness.app)(sam_event(name), lambda_context())
    assert response["statusCode"] == 200, response
    assert f"url: '{prefix}/openapi.json'" in response["body"]


def test_sams_generic_samples_reach_the_app_and_get_a_404_for_their_path(harness: Harness) -> None:
    """SAM's default samples POST ``{"test":"body"}`` to /path/to/resource: no such route here."""
    for name in ("http_api_proxy", "aws_proxy"):
        response = make_handler(harness.app)(sam_event(name), lambda_context())
        assert response["statusCode"] == 404, (name, response)
