"""schemathesis against the app's own OpenAPI document, in process (ASGI), every check, positive and
negative examples: no 5xx, no response that breaks the document, what the document allows is
accepted and what it forbids refused.

The operations are driven with Hypothesis directly (``APIOperation.as_strategy``): schemathesis'
pytest fixture loader does not run under this pytest (``'Function' object has no attribute '_nodeid'``).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.unit.serving.conftest import Harness

MAX_EXAMPLES = 40  # per operation and mode: the whole file runs in well under a minute on 2 cores


def _operations(harness: Harness) -> dict[str, Any]:
    harness.holder.refresh()  # the document describes the live model's features
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.app)
    operations = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations[f"{operation.method.upper()} {operation.path}"] = operation
    return operations


def test_the_document_covers_every_route(harness: Harness) -> None:
    assert set(_operations(harness)) == {"POST /v1/predict", "GET /v1/health", "GET /v1/model"}


@pytest.mark.parametrize(
    ("route", "mode"),
    [
        ("POST /v1/predict", GenerationMode.POSITIVE),
        ("POST /v1/predict", GenerationMode.NEGATIVE),  # the only operation with input to get wrong
        ("GET /v1/health", GenerationMode.POSITIVE),
        ("GET /v1/model", GenerationMode.POSITIVE),
    ],
    ids=["predict-positive", "predict-negative", "health", "model"],
)
def test_the_api_keeps_its_documented_contract_for_generated_requests(harness: Harness, route: str, mode: GenerationMode) -> None:
    operation = _operations(harness)[route]

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call()
        if response.status_code == 413:
            # A body over serving.max_body_bytes is refused for its size, a limit the document's schema
            # cannot express; schemathesis would count that 4xx as accepting negative data.
            assert response.json()["error"] == "request too large" and response.json()["request_id"]
            return
        case.validate_response(response)

    check()
