"""Start a release: write it into the record, then start the release state machine on it.

``lightship release start`` and the demo call :func:`launch`. The execution is named after
the release id (a second start of the same release is refused by Step Functions, not run
twice). If the machine cannot be started, the release is aborted again at once, so the
record never holds a release that nothing drives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lightship.deployment.record import DeploymentRecord
from lightship.registry.model_registry import ModelRegistry
from lightship.release import controller
from lightship.release.controller import Plan, ReleaseOutcome, ReleaseRefused


@dataclass(frozen=True)
class Launched:
    outcome: ReleaseOutcome
    execution_arn: str


def launch(
    registry: ModelRegistry,
    record: DeploymentRecord,
    stepfunctions: Any,
    state_machine_arn: str,
    version: int,
    plan: Plan,
    *,
    reason: str,
    by: str,
    release_id: str | None = None,
) -> Launched:
    """``release_id``: a caller's own id (the retraining run's, the same on every attempt); by default a new one."""
    outcome = controller.start(registry, record, version, plan, reason=reason, by=by, release_id=release_id)
    assert outcome.release is not None
    release_id = outcome.release.id
    try:
        started = stepfunctions.start_execution(
            stateMachineArn=state_machine_arn, name=release_id,
            input=json.dumps({"release_id": release_id, "next_step": 0, "holds": 0}),
        )
    except Exception as exc:
        controller.abort(record, registry, release_id, reason=f"the release state machine could not start: {exc}", by=by, reject=False)
        raise ReleaseRefused(f"could not start the release state machine {state_machine_arn}: {exc}; the release was aborted") from exc
    return Launched(outcome, str(started["executionArn"]))
