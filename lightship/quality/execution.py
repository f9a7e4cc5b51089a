"""Starting a quality run and waiting for it: what ``lightship quality run`` does, on AWS or the emulator.

A run is an execution of the quality state machine (``infra/stacks/quality.py``) named
``quality-{date}-{random}``, with ``{"date": D}``; the same boto3 calls reach AWS or the
emulator (``AWS_ENDPOINT_URL``). The execution's output holds the function's summary
(``result``: date, breach, estimated_breach, alert, subject, message, report_uri).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from lightship.batch_run.execution import Execution, wait
from lightship.errors import LightshipError
from lightship.resources import Resources
from lightship.settings import Settings


def run(sfn: Any, settings: Settings, resources: Resources, date: str, progress: Callable[[str], None] | None = None,
        timeout_seconds: float = 3600) -> Execution:
    """Start the quality state machine for ``date`` and wait for it to end (raises RunFailed if it fails)."""
    arn = resources.state_machine_arn(resources.quality_state_machine)
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
    except sfn.exceptions.StateMachineDoesNotExist as exc:
        raise LightshipError(f"no state machine {resources.quality_state_machine}: deploy the quality stack "
                             f"(npx cdk deploy {resources.stack('quality')}) or start the emulator (lightship local up)") from exc
    name = f"quality-{date}-{uuid.uuid4().hex[:8]}"
    started = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"date": date}))
    return wait(sfn, str(started["executionArn"]), progress=progress, timeout_seconds=timeout_seconds, what="quality run")
