"""Starting a retraining run: take the ledger's lock, then start the state machine named after the run.

The retraining function (on a trigger) and ``lightship retrain`` call :func:`start_run` with the
same clients; a run the machine cannot start gives the lock back at once, recorded as failed.
"""

from __future__ import annotations

import json
from typing import Any

from lightship.resources import Resources
from lightship.retraining import ledger as ledger_mod
from lightship.retraining.ledger import Begun, RunLedger
from lightship.retraining.triggers import Trigger, enabled
from lightship.settings import Settings


def start_run(settings: Settings, resources: Resources, ledger: RunLedger, stepfunctions: Any, trigger: Trigger) -> Begun:
    r = settings.retraining
    if not enabled(trigger, r):
        return ledger.record(trigger.key, ledger_mod.DISABLED, f"retraining.on_{trigger.kind} is off: recorded, not started",
                             trigger.to_dict())
    begun = ledger.begin(trigger.key, trigger.to_dict(), cooldown_hours=r.cooldown_hours, stale_run_hours=r.stale_run_hours)
    if begun.outcome != ledger_mod.STARTED:
        return begun
    payload = {"run_id": begun.run_id, "trigger": trigger.to_dict(), "poll_seconds": r.poll_seconds}
    try:
        stepfunctions.start_execution(stateMachineArn=resources.state_machine_arn(resources.retraining_state_machine), name=begun.run_id,
                                      input=json.dumps(payload))
    except Exception as exc:
        ledger.finish(begun.run_id, ledger_mod.FAILED, f"the retraining state machine could not start: {exc}")
        raise
    return begun
