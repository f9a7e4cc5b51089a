"""The FastAPI app: ``POST /v1/predict``, ``GET /v1/health``, ``GET /v1/model``, ``/docs``.

:func:`create_app` takes a :class:`ServingRuntime` (model holder, metrics, capture) so
tests, ``lightship serve``, the demo and the Lambda entry point build the same app
around their own clients. The predict endpoint is ``async`` and works on bytes: it parses
JSON itself, validates with the live model's :class:`~lightship.serving.validation.RowEncoder`
and writes the response with ``json.dumps``, and :class:`ServingApp` calls it before
FastAPI's middleware and router; FastAPI's body models, response encoding and per-route
machinery would cost more than the rest of the request (bench/README.md). The OpenAPI
document is rebuilt per live version so ``/docs`` shows the live features. During a
release, :func:`lightship.serving.routing.choose` picks the answering version (canary) and
:class:`lightship.serving.shadow.ShadowScorer` has the candidate score a sample (shadow);
the response names the version and its role (``x-model-version``, ``x-model-role``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from lightship import __version__
from lightship import observability as names
from lightship.serving.capture import CaptureWriter
from lightship.serving.logs import logger
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import LiveModel, ModelHolder
from lightship.serving.routing import ROUTING_KEY_HEADER, choose
from lightship.serving.schema_models import (
    ErrorResponse,
    HealthResponse,
    ModelResponse,
    PredictResponse,
    request_json_schema,
)
from lightship.serving.shadow import ShadowScorer
from lightship.serving.validation import MAX_REPORTED_ERRORS, FieldError, InvalidRequest, flagged_list

JSON = "application/json"
ACCEPTED_CONTENT_TYPES = "application/json, or any application/*+json type (a charset parameter is ignored)"
REF_TEMPLATE = "#/components/schemas/{model}"


@dataclass
class ServingRuntime:
    holder: ModelHolder
    metrics: ServingMetrics
    capture: CaptureWriter | None
    max_body_bytes: int
    max_instances: int
    shadow: ShadowScorer | None = None  # a shadow release's candidate scoring (lightship.serving.shadow)
    id_field: str = "id"  # an instance's own prediction id (serving.id_field), echoed in the response's ``ids``


PREDICT_PATH = "/v1/predict"


class ServingApp(FastAPI):
    """FastAPI, with ``POST /v1/predict`` answered before the middleware stack and router.

    The predict call is the hot path: its endpoint parses, validates, catches and answers
    everything itself, so Starlette's error/exception middleware and routing would only add
    time (~40 µs of ~130 µs, bench/README.md). Every other request, and any other method on
    the predict path, goes through FastAPI as usual.
    """

    predict_endpoint: Callable[[Request], Awaitable[Response]] | None = None
    max_body_bytes: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.predict_endpoint
        if endpoint is not None and scope["type"] == "http" and scope["method"] == "POST" and _route_path(scope) == PREDICT_PATH:
            response = await endpoint(Request(scope, receive))
            await response(scope, receive, send)
            return
        limit = self.max_body_bytes
        if limit is not None and scope["type"] == "http":
            # Other routes read no body; one declared over the limit is refused like predict's.
            declared = _declared_length(scope)
            if declared is not None and declared > limit:
                request_id = _scope_request_id(scope)
                content = _body_too_large(declared, limit, request_id, None)
                await Response(content, status_code=413, media_type=JSON, headers={"x-request-id": request_id})(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _current(holder: ModelHolder) -> LiveModel | None:
    """The model for this request. When the TTL has run out, the record read (and any bundle load)
    runs in a worker thread: under uvicorn the event loop keeps answering other requests with the
    model it has while DynamoDB or S3 is slow or down (tests/integration/test_serving_under_faults.py)."""
    if not holder.due():
        return holder.live
    return await run_in_threadpool(holder.current)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def create_app(runtime: ServingRuntime) -> FastAPI:
    app = ServingApp(
        title="Lightship predictions",
        version=__version__,
        description="Predictions from the live model version named by the deployment record.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.max_body_bytes = runtime.max_body_bytes
    holder = runtime.holder
    metrics = runtime.metrics
    capture = runtime.capture
    max_body = runtime.max_body_bytes

    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        request_id = _request_id(request)
        live = await _current(holder)
        candidate = holder.candidate
        # During a canary the routing key's hash picks the version that answers (lightship.serving.routing).
        if candidate is None:  # no release under way: nothing to decide
            model, role = live, names.ROLE_LIVE
        else:
            model, role = choose(live, candidate, request.headers.get(ROUTING_KEY_HEADER) or request_id)
        version = model.version if model is not None else None
        shadow = runtime.shadow
        answered: list[Any] = []
        on_answer = answered.append if shadow is not None and model is not None and shadow.sampled(candidate) else None
        status, content, instances, flagged = await _predict(
            request, model, request_id, max_body, capture, metrics, role, on_answer, runtime.id_field
        )
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        # One EMF line per request: the metrics by role and version and, as its properties, the request log.
        metrics.request(version, status, elapsed_ms, instances, request_id, flagged, role=role)
        if answered and shadow is not None and candidate is not None and model is not None:
            # The response's bytes are final: the shadow may add time, never change or fail the answer.
            # Its wait (up to the deadline) runs off the event loop, which serves every other connection.
            payload, predicted, proba = answered[0]
            await run_in_threadpool(shadow.score, candidate, payload, model.version, predicted, proba, request_id, elapsed_ms)
        headers = {"x-request-id": request_id, "x-model-role": role}
        if version is not None:
            headers["x-model-version"] = str(version)
        return Response(content, status_code=status, media_type=JSON, headers=headers)

    # Answered by ServingApp before the middleware (the hot path); also a plain Starlette route,
    # so other methods get FastAPI's 405. FastAPI's per-route machinery (dependencies, body and
    # response models) would cost more than the rest of the request; the OpenAPI document
    # describes the route all the same (see ``openapi`` below).
    app.router.routes.append(Route(PREDICT_PATH, predict, methods=["POST"], name="predict"))
    app.predict_endpoint = predict

    # One error shape everywhere: FastAPI's own answers (404, 405, a query it cannot parse, an
    # unexpected exception) in the shape predict's errors have, with a request id.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        request_id = _request_id(request)
        live = holder.live
        headers = {**(exc.headers or {}), "x-request-id": request_id}
        content = _error_bytes(_message(exc.status_code, str(exc.detail)), [], request_id, live.version if live else None)
        return Response(content, status_code=exc.status_code, media_type=JSON, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> Response:
        request_id = _request_id(request)
        errors = [FieldError(None, ".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors()]
        return _error(422, "invalid request", errors, request_id, None)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        request_id = _request_id(request)
        logger.exception("request failed", extra={"request_id": request_id, "path": request.url.path})
        return _error(500, "internal error; see the logs for this request id", [], request_id, None)

    @app.get("/v1/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
    async def health() -> Response:
        live = await _current(holder)
        state = holder.state
        failure = state.last_failure
        body = HealthResponse(
            status="ok" if live else "no_model",
            model_loaded=live is not None,
            model_version=live.version if live else None,
            deployment_revision=live.deployment.revision if live else None,
            last_load_failure=f"version {failure.version}: {failure.error}" if failure else None,
            record_error=state.record_error,
        )
        return Response(body.model_dump_json(), status_code=200 if live else 503, media_type=JSON)

    @app.get("/v1/model", response_model=ModelResponse, responses={503: {"model": ErrorResponse}})
    async def model(request: Request) -> Response:
        live = await _current(holder)
        if live is None:
            return _error(503, "no model is live yet: lightship deploy N", [], _request_id(request), None)
        details = live.deployment.details_dict
        evaluation = live.bundle.evaluation
        body = ModelResponse(
            model_version=live.version,
            deployment={k: v for k, v in live.deployment.__dict__.items() if k != "details"},
            model=evaluation.get("model"),
            task=live.bundle.task,
            lineage=details.get("lineage", {}),
            metrics=evaluation.get("metrics", {}),
            feature_schema=live.bundle.schema.to_dict(),
            sklearn_version=live.bundle.manifest.get("sklearn_version"),
            runtime=live.bundle.runtime,
            runtime_reason=live.bundle.fallback_reason,
        )
        return Response(body.model_dump_json(), media_type=JSON)

    openapi_cache: dict[int | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        live = holder.current()
        key = live.version if live else None
        if key not in openapi_cache:
            openapi_cache.clear()
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            document["paths"] = {"/v1/predict": _predict_path(schemas), **document.get("paths", {})}
            if live is not None:
                body, definitions = request_json_schema(live.bundle.schema, runtime.max_instances, REF_TEMPLATE, holder.policy)
                schemas.update(definitions)
                schemas["PredictRequest"] = body
                document["info"]["description"] += f" Live: version {live.version} ({live.bundle.evaluation.get('model')})."
            else:
                schemas["PredictRequest"] = {"type": "object", "description": "No model is live yet: the features appear here once one is."}
            openapi_cache[key] = document
        return openapi_cache[key]

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _predict_path(schemas: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI path item of ``POST /v1/predict`` (a Starlette route, so FastAPI does not generate it)."""
    for model in (PredictResponse, ErrorResponse):
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema

    def response(description: str, model: str) -> dict[str, Any]:
        return {"description": description, "content": {JSON: {"schema": {"$ref": REF_TEMPLATE.format(model=model)}}}}

    return {
        "post": {
            "summary": "Predict for one or more instances",
            "description": "Every instance must give every feature of the live model (null where training saw missing "
            "values). Invalid input is refused as a whole, with each (instance index, field, reason).",
            "operationId": "predict",
            "requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": REF_TEMPLATE.format(model="PredictRequest")}}}},
            "responses": {
                "200": response("Predictions in request order (and the features flagged out of range)", "PredictResponse"),
                "400": response("The body cannot be parsed as JSON", "ErrorResponse"),
                "413": response("Body or instance count over the limit", "ErrorResponse"),
                "415": response(f"Content type not accepted: send {ACCEPTED_CONTENT_TYPES}", "ErrorResponse"),
                "422": response("Invalid instances: every (index, field, reason)", "ErrorResponse"),
                "503": response("No model is live yet", "ErrorResponse"),
            },
        }
    }


async def _predict(
    request: Request,
    live: LiveModel | None,
    request_id: str,
    max_body: int,
    capture: CaptureWriter | None,
    metrics: ServingMetrics,
    role: str = names.ROLE_LIVE,
    on_answer: Callable[[tuple[Any, list[Any], list[list[float]] | None]], None] | None = None,
    id_field: str = "id",
) -> tuple[int, bytes, int, int]:
    """(status, body, instances scored, instances flagged) for one predict call; never raises for bad input.
    ``on_answer`` receives (payload, predictions, probabilities) of a 200 (the shadow's input)."""
    version = live.version if live is not None else None
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        return 413, _body_too_large(int(declared), max_body, request_id, version), 0, 0
    body = await _read_body(request, max_body)
    if body is None:  # no (or a false) Content-Length, and the stream ran over the limit
        return 413, _body_too_large(max_body + 1, max_body, request_id, version, at_least=True), 0, 0
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        refused = FieldError(None, "content-type", f"{content_type!r} is not accepted; send {ACCEPTED_CONTENT_TYPES}")
        return 415, _error_bytes("unsupported media type", [refused], request_id, version), 0, 0
    if live is None:
        return 503, _error_bytes("no model is live yet: lightship deploy N", [], request_id, None), 0, 0
    try:
        payload = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        deep = FieldError(None, "body", "not valid JSON: nested too deeply")
        return 400, _error_bytes("invalid JSON", [deep], request_id, version), 0, 0
    except (ValueError, UnicodeDecodeError) as exc:
        return 400, _error_bytes("invalid JSON", [FieldError(None, "body", f"not valid JSON: {exc}")], request_id, version), 0, 0
    try:
        instances = live.encoder.instances(payload)
        check = live.encoder.check(instances)
        if check.errors:
            raise InvalidRequest(check.errors[:MAX_REPORTED_ERRORS])
    except InvalidRequest as exc:
        return exc.status, _error_bytes("invalid request", exc.errors, request_id, version), 0, 0
    try:
        predictions, probabilities = live.bundle.predict_rows(check.rows)
        predicted = predictions.tolist()
        proba = probabilities.tolist() if probabilities is not None else None
        flagged = flagged_list(check.flagged, len(predicted))
        ids = prediction_ids(instances, request_id, id_field)
        content = json.dumps(
            {"model_version": version, "predictions": predicted, "probabilities": proba,
             "classes": live.classes, "flagged": flagged, "request_id": request_id, "ids": ids},
            separators=(",", ":"),
            allow_nan=False,
        ).encode()
    except Exception:  # noqa: BLE001 - the model failed on valid input: a 500 with an id, logged with its traceback
        logger.exception("prediction failed", extra={"request_id": request_id, "model_version": version})
        metrics.count(names.PREDICTION_FAILURES, version, role=role)
        return 500, _error_bytes("the model failed to predict; see the logs for this request id", [], request_id, version), 0, 0
    if capture is not None and capture.sampled():
        capture.add(request_id, live.version, instances, predicted, proba, ids=ids, role=role)
    if on_answer is not None:
        on_answer((payload, predicted, proba))
    return 200, content, len(predicted), len(check.flagged)


def prediction_ids(instances: list[dict[str, Any]], request_id: str, id_field: str) -> list[str]:
    """Each instance's prediction id: its own ``id_field`` value (text or an integer, as text), else
    ``<request id>:<index>``. Labels are joined to predictions by this id (lightship.quality)."""
    ids = []
    for index, instance in enumerate(instances):
        own = instance.get(id_field) if isinstance(instance, dict) else None
        if isinstance(own, bool) or not isinstance(own, (str, int)) or (isinstance(own, str) and not own.strip()):
            ids.append(f"{request_id}:{index}")
        else:
            ids.append(str(own))
    return ids


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once more than ``limit`` bytes arrive (whatever Content-Length said, or without one).

    The rest of an oversized body is not read: the server discards it after the answer.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _message(status: int, detail: str) -> str:
    return {404: "not found", 405: "method not allowed"}.get(status, detail.lower() or "error")


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _scope_request_id(scope: Scope) -> str:
    """:func:`_request_id` before a Request exists."""
    context = scope.get("aws.context")
    if context is not None and getattr(context, "aws_request_id", None):
        return str(context.aws_request_id)
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id" and 0 < len(value) <= 128:
            return str(value.decode("latin-1"))
    return uuid.uuid4().hex


def _request_id(request: Request) -> str:
    context = request.scope.get("aws.context")
    if context is not None and getattr(context, "aws_request_id", None):
        return str(context.aws_request_id)
    given = request.headers.get("x-request-id")
    if given and len(given) <= 128:
        return given
    return uuid.uuid4().hex


def _body_too_large(size: int, limit: int, request_id: str, version: int | None, at_least: bool = False) -> bytes:
    said = f"more than {limit} bytes" if at_least else f"{size} bytes"
    return _error_bytes("request too large", [FieldError(None, "body", f"{said}; at most {limit} per request")], request_id, version)


def _error_bytes(message: str, errors: list[FieldError], request_id: str, version: int | None) -> bytes:
    return json.dumps(
        {"error": message, "detail": [e.to_dict() for e in errors], "request_id": request_id, "model_version": version},
        separators=(",", ":"),
    ).encode()


def _error(status: int, message: str, errors: list[FieldError], request_id: str, version: int | None) -> Response:
    return Response(_error_bytes(message, errors, request_id, version), status_code=status, media_type=JSON)
