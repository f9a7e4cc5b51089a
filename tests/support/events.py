"""API Gateway events for Mangum tests, built on AWS's samples (SAM CLI's ``generate-event``, recorded in
``tests/events/sam``, see its README): one request each, at any stage.

Only the request changes (method, path, stage, a plain JSON body); the rest is SAM's sample as
recorded. Where SAM's sample differs from API Gateway, the request is set as API Gateway sends it:
a named stage in an HTTP API's ``rawPath``, a REST proxy parameter without a leading slash.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"
SAM = EVENTS / "sam"


def sam_event(name: str) -> dict[str, Any]:
    """A recorded SAM CLI event, as generated (``tests/events/sam/NAME.json``)."""
    event: dict[str, Any] = json.loads((SAM / f"{name}.json").read_text())
    return event


def http_api_v2(method: str, path: str, body: Any = None, stage: str = "$default") -> dict[str, Any]:
    """An HTTP API (payload 2.0) event; a named stage prefixes the path as API Gateway does."""
    event = copy.deepcopy(sam_event("http_api_proxy"))
    full = path if stage == "$default" else f"/{stage}{path}"
    event["rawPath"] = full
    event["requestContext"]["http"].update(method=method, path=full)
    event["requestContext"]["stage"] = stage
    event["body"] = json.dumps(body) if body is not None else ""
    event["isBase64Encoded"] = False
    return event


def rest_api_v1(method: str, path: str, body: Any = None, stage: str = "prod") -> dict[str, Any]:
    """A REST API (payload 1.0, proxy resource) event: ``path`` without the stage, ``requestContext.path`` with it."""
    event = copy.deepcopy(sam_event("aws_proxy"))
    event["path"] = path
    event["httpMethod"] = method
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["requestContext"].update(httpMethod=method, path=f"/{stage}{path}", stage=stage)
    event["body"] = json.dumps(body) if body is not None else None
    event["isBase64Encoded"] = False
    return event


def lambda_context(request_id: str = "11111111-2222-3333-4444-555555555555") -> Any:
    """A :class:`Context` typed as what Mangum accepts."""
    return Context(request_id)


class Context:
    """The parts of Lambda's context Mangum and the app read."""

    function_name = "lightship-serving"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lightship-serving"

    def __init__(self, request_id: str = "11111111-2222-3333-4444-555555555555") -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 15_000
