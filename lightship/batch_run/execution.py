"""Starting a batch run and waiting for it: what ``lightship batch run`` does, on AWS or the emulator.

A run is a Step Functions execution of the batch state machine (by name from the
settings), named ``{date}-{random}`` so reruns of a date are distinct executions (their
outputs still replace each other). :func:`wait` polls until the execution ends and
returns its final output, or raises :class:`RunFailed` with Step Functions' error and cause.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightship.batch_run.request import RunRequest
from lightship.errors import LightshipError


class RunFailed(LightshipError):
    """The execution ended in FAILED, TIMED_OUT or ABORTED."""


@dataclass
class Execution:
    arn: str
    name: str
    status: str
    output: dict[str, Any]
    seconds: float


def start(sfn: Any, machine_arn: str, request: RunRequest) -> str:
    label = request.date.isoformat() if request.date else "scheduled"
    name = f"{label}-{uuid.uuid4().hex[:8]}"
    payload = request.model_dump(mode="json", exclude_none=True)
    response = sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))
    return str(response["executionArn"])


def wait(sfn: Any, execution_arn: str, poll_seconds: float = 0.5, timeout_seconds: float = 6 * 3600,
         progress: Callable[[str], None] | None = None, what: str = "batch run") -> Execution:
    started = time.monotonic()
    last_step = ""
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        status = described["status"]
        if status != "RUNNING":
            break
        if progress:
            step = _current_step(sfn, execution_arn)
            if step and step != last_step:
                progress(step)
                last_step = step
        if time.monotonic() - started > timeout_seconds:
            raise RunFailed(f"{execution_arn} still running after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)
    seconds = time.monotonic() - started
    if status != "SUCCEEDED":
        error = described.get("error") or status
        cause = described.get("cause") or ""
        raise RunFailed(f"{what} {described.get('name', execution_arn)} {status}: {error}: {_cause(cause, error)}")
    return Execution(arn=execution_arn, name=str(described.get("name", "")), status=status,
                     output=json.loads(described.get("output") or "{}"), seconds=seconds)


def _current_step(sfn: Any, execution_arn: str) -> str:
    try:
        history = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=20)
    except Exception:  # noqa: BLE001 - progress is a nicety; never fail a run over it
        return ""
    for event in history.get("events", []):
        entered = event.get("stateEnteredEventDetails")
        if entered:
            return str(entered.get("name", ""))
    return ""


def _cause(cause: str, error: str) -> str:
    """Lambda errors arrive as JSON ({errorType, errorMessage, ...}); keep the message, and
    the type only where it is not already the execution's ``error`` (printed just before it)."""
    try:
        data = json.loads(cause)
    except (TypeError, json.JSONDecodeError):
        return cause
    if isinstance(data, dict) and "errorMessage" in data:
        kind = data.get("errorType", "Error")
        return str(data["errorMessage"]) if kind == error else f"{kind}: {data['errorMessage']}"
    return cause
