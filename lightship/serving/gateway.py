"""API Gateway events to ASGI with the stage (or base path) as ``root_path``: the Mangum pitfall.

Mangum passes the path as API Gateway gives it and always sets ``root_path`` to "".
Behind a named stage (``https://id.execute-api.../prod/docs``) FastAPI then routes
``/prod/docs`` to nothing, or, once a base path is stripped, serves a docs page that
loads ``/openapi.json`` from the host root, outside the stage, where API Gateway
answers 403/404. These handlers keep ASGI's contract instead: ``path`` is the full
path the client used and ``root_path`` the prefix the app is mounted under, so
routes match and every URL the app renders (the docs' ``openapi.json``) carries the
prefix. They cover HTTP API payload v2 (``requestContext.stage``; ``$default`` has no
prefix) and REST API v1 (``requestContext.path`` holds the stage, ``path`` does not),
plus a custom-domain base path given as ``base_path``. Used by :func:`make_handler`
(the Lambda entry point) and by the tests that replay both event shapes.
"""

from __future__ import annotations

from mangum import Mangum
from mangum.handlers.api_gateway import APIGateway, HTTPGateway
from mangum.types import ASGI, Scope


def _prefix(base_path: str) -> str:
    base = base_path.strip("/")
    return f"/{base}" if base else ""


def _with_root(scope: Scope, path: str, root: str) -> Scope:
    if root and not path.startswith(root + "/") and path != root:
        path = root + (path if path.startswith("/") else "/" + path)
    scope["path"] = path
    scope["root_path"] = root
    return scope


class StageAwareHTTPGateway(HTTPGateway):
    """HTTP API (payload 2.0, or 1.0 through an HTTP API)."""

    @property
    def scope(self) -> Scope:
        scope = super().scope
        event = self.event
        context = event.get("requestContext", {})
        if event.get("version") == "2.0":
            full = event.get("rawPath") or context.get("http", {}).get("path") or "/"
        else:
            full = context.get("path") or event.get("path") or "/"
        stage = context.get("stage") or "$default"
        root = _prefix(self.config["api_gateway_base_path"])
        if stage != "$default" and (full.startswith(f"/{stage}/") or full == f"/{stage}"):
            root = f"/{stage}" + root
        return _with_root(scope, full, root)


class StageAwareAPIGateway(APIGateway):
    """REST API (payload 1.0): ``path`` is the resource path, ``requestContext.path`` what the client asked for."""

    @property
    def scope(self) -> Scope:
        scope = super().scope
        event = self.event
        resource_path = event.get("path") or "/"
        full = event.get("requestContext", {}).get("path") or resource_path
        root = full[: -len(resource_path)] if resource_path != "/" and full.endswith(resource_path) else ""
        if resource_path == "/" and full != "/":
            root = full.rstrip("/")
        return _with_root(scope, full, root.rstrip("/"))


def make_handler(app: ASGI, base_path: str = "") -> Mangum:
    """The Lambda handler for ``app``: Mangum with the stage-aware handlers, no lifespan (state is built at import)."""
    return Mangum(
        app,
        lifespan="off",
        api_gateway_base_path=base_path or "/",
        custom_handlers=[StageAwareHTTPGateway, StageAwareAPIGateway],  # type: ignore[list-item]
    )

