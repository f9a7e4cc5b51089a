"""Lambda compute for the emulator: moto's Lambda runs code only in Docker, which we don't have.

:func:`install` replaces moto's Docker-free Lambda backend's ``invoke`` with one that calls
our own handler for the function, in this process, with a minimal Lambda context. So a
Step Functions task (or anything else) that invokes a function on the emulator runs the
real handler. An exception in the handler comes back as AWS returns it (an
``x-amz-function-error`` header and an ``errorType`` / ``errorMessage`` payload) so
Step Functions' Retry and Catch see it. Handlers are registered by function name:
``register("lightship-batch-score", "lambdas.batch_score.handler:handler")``. What a
handler prints goes to its CloudWatch log group, as on Lambda (:mod:`.function_logs`), and each
invocation counts in ``AWS/Lambda`` (``Invocations``, ``Errors``, ``Duration``) as Lambda counts it.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID as DEFAULT_ACCOUNT

from lightship.local import function_logs

DEFAULT_REGION = "us-east-1"  # with moto's account: a context built without a function (unit tests)

_lock = threading.Lock()
_routes: dict[str, str | Callable[[Any, Any], Any]] = {}
_installed = False


@dataclass
class LambdaContext:
    """The attributes of AWS's context object that handlers and Powertools read: for a routed invocation,
    the invoked function's own ARN, memory and timeout as the emulator holds them (:func:`context_for`)."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 128  # Lambda's default, for a context built without a function
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    timeout_seconds: int = 3  # Lambda's default
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = f"arn:aws:lambda:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


def context_for(function_name: str, backend: Any | None = None, qualifier: str | None = None) -> LambdaContext:
    """The context of one invocation of ``function_name`` (a name, with ``backend``; or an ARN): ARN, memory
    and timeout from the function the emulator holds, as Lambda fills them from its configuration."""
    name, request_id = _name(function_name), str(uuid.uuid4())
    try:
        if backend is None:
            from moto.awslambda.utils import get_backend

            _, _, _, region, account, *_ = function_name.split(":")
            backend = get_backend(account, region)
        function = backend.get_function(function_name, qualifier)
    except Exception:  # noqa: BLE001 - a route without a provisioned function still runs, with Lambda's defaults
        return LambdaContext(function_name=name, aws_request_id=request_id)
    return LambdaContext(function_name=name, aws_request_id=request_id, memory_limit_in_mb=int(function.memory_size),
                         invoked_function_arn=str(function.function_arn), timeout_seconds=int(function.timeout))


def register(function_name: str, handler: str | Callable[[Any, Any], Any]) -> None:
    """Route invocations of ``function_name`` (a name or ARN) to ``module.path:attribute`` or a callable."""
    with _lock:
        _routes[_name(function_name)] = handler


def routes() -> dict[str, str | Callable[[Any, Any], Any]]:
    return dict(_routes)


def handler_for(function_name: str) -> Callable[[Any, Any], Any]:
    """The callable an invocation of ``function_name`` runs (a registered path is imported)."""
    return _resolve(_routes[_name(function_name)])


def install() -> None:
    """Patch moto's Docker-free Lambda backend (idempotent)."""
    global _installed
    from moto.awslambda_simple.models import LambdaSimpleBackend

    with _lock:
        if _installed:
            return
        original = LambdaSimpleBackend.invoke

        def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any) -> Any:
            target = _routes.get(_name(function_name))
            if target is None:
                return original(self, function_name, qualifier, body, headers, response_headers)
            return invoke_local(function_name, target, body, response_headers, context_for(function_name, self, qualifier))

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
        _installed = True


def invoke_local(function_name: str, target: str | Callable[[Any, Any], Any], body: Any, response_headers: dict[str, str],
                 context: LambdaContext | None = None) -> bytes:
    function_logs.thread_stdout()  # before the handler's module is imported: its Logger binds sys.stdout
    handler = _resolve(target)
    raw = body.decode() if isinstance(body, bytes) else (body or "")
    event = json.loads(raw) if raw else {}
    context = context or context_for(function_name)
    started = time.perf_counter()
    try:
        # What the handler prints goes to its log group (and the local log file), not the console.
        with function_logs.captured(context.function_name, context.aws_request_id):
            result = handler(event, context)
    except Exception as exc:  # noqa: BLE001 - reported the way Lambda reports a function error
        function_logs.lambda_metrics(context.function_name, (time.perf_counter() - started) * 1000, failed=True)
        response_headers["x-amz-function-error"] = "Unhandled"
        error = {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_exception(exc)[-5:],
        }
        return json.dumps(error).encode()
    function_logs.lambda_metrics(context.function_name, (time.perf_counter() - started) * 1000, failed=False)
    return json.dumps(result, default=str).encode()


def _resolve(target: str | Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    if callable(target):
        return target
    module_name, _, attribute = target.partition(":")
    handler: Callable[[Any, Any], Any] = getattr(importlib.import_module(module_name), attribute or "handler")
    return handler


def _name(function_name: str) -> str:
    """``arn:aws:lambda:...:function:NAME[:qualifier]`` or ``NAME`` to ``NAME``."""
    if function_name.startswith("arn:"):
        parts = function_name.split(":")
        return parts[6] if len(parts) > 6 else function_name
    return function_name
