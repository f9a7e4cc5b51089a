"""``lightship predict``'s client signs requests to a deployed API with SigV4, sends a bearer token for JWT, plain HTTP locally."""

from __future__ import annotations

import json

import httpx
import pytest

from lightship.serving.client import PredictClient

BODY = {"model_version": 1, "predictions": [0], "request_id": "r"}


def _recording() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=BODY)

    return seen, httpx.MockTransport(answer)


def test_requests_to_execute_api_are_signed_for_its_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    seen, transport = _recording()

    with PredictClient("https://abc123.execute-api.eu-west-1.amazonaws.com", transport=transport) as client:
        response = client.predict([{"a": 1.0}])

    assert response.status == 200 and response.body == BODY
    [request] = seen
    authorization = request.headers["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "x-amz-date" in request.headers and "SignedHeaders=content-type;host;x-amz-date" in authorization
    assert json.loads(request.content) == {"instances": [{"a": 1.0}]}


def test_a_bearer_token_replaces_signing() -> None:
    seen, transport = _recording()
    with PredictClient("https://abc123.execute-api.eu-west-1.amazonaws.com", token="jwt-token", transport=transport) as client:
        client.model()
    assert seen[0].headers["authorization"] == "Bearer jwt-token"


def test_local_servers_get_plain_requests() -> None:
    seen, transport = _recording()
    with PredictClient("http://127.0.0.1:8080", transport=transport) as client:
        client.health()
    assert "authorization" not in seen[0].headers and seen[0].url.path == "/v1/health"
