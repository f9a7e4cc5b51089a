"""A failed batch run reads as one line: the error type once, then the handler's message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lightship.batch_run.execution import RunFailed, wait


class FailedExecution:
    def __init__(self, error: str, cause: dict[str, Any]) -> None:
        self.error, self.cause = error, cause

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        return {"status": "FAILED", "name": "2026-11-20-abc", "error": self.error, "cause": json.dumps(self.cause)}


def test_no_live_model_names_the_error_once_and_a_real_command() -> None:
    message = "no model version is live in lightship-deployments: deploy an approved version first (lightship deploy N)"
    sfn = FailedExecution("NoLiveModel", {"errorType": "NoLiveModel", "errorMessage": message})
    with pytest.raises(RunFailed) as failed:
        wait(sfn, "arn:execution", poll_seconds=0)
    assert str(failed.value) == f"batch run 2026-11-20-abc FAILED: NoLiveModel: {message}"
    assert str(failed.value).count("NoLiveModel") == 1


def test_a_different_handler_error_type_is_kept() -> None:
    sfn = FailedExecution("States.TaskFailed", {"errorType": "OSError", "errorMessage": "disk full"})
    with pytest.raises(RunFailed, match="FAILED: States.TaskFailed: OSError: disk full$"):
        wait(sfn, "arn:execution", poll_seconds=0)
