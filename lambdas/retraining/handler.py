"""The retraining function: a trigger (SNS from the alerts topic, the schedule) or a state machine task.

Thin on purpose: an event with ``action`` is a task of the retraining state machine
(:func:`lightship.retraining.steps.run_task`); anything else is a possible trigger
(:func:`lightship.retraining.triggers.parse`), which starts a run through the ledger
(:func:`lightship.retraining.start.start_run`) or is recorded with the reason it started none.
The local emulator routes invocations here too.
"""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger

from lightship.clients import cached_client
from lightship.observability import SERVICE_RETRAINING
from lightship.resources import resources_of_function
from lightship.retraining import triggers
from lightship.retraining.ledger import RunLedger
from lightship.retraining.start import start_run
from lightship.retraining.steps import Collaborators, run_task
from lightship.settings import load_settings

warnings.filterwarnings("ignore", message="No application metrics to publish")
logger = Logger(service=SERVICE_RETRAINING)


def collaborators(function_arn: str) -> Collaborators:
    settings = load_settings()  # per invocation: a run is minutes long, the settings cost microseconds
    resources = resources_of_function(settings, function_arn)
    return Collaborators(settings=settings, resources=resources, s3=cached_client("s3"), sagemaker=cached_client("sagemaker"),
                         sts=cached_client("sts"), sns=cached_client("sns"), stepfunctions=cached_client("stepfunctions"),
                         dynamodb=cached_client("dynamodb"))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = collaborators(context.invoked_function_arn)
    if "action" in event:
        result = run_task(event, deps)
        logger.info(str(result.get("reason", "")), extra={"action": event.get("action"), "verdict": result.get("verdict")})
        return result
    alarm = deps.resources.quality_alarm
    outcomes = []
    for trigger in triggers.parse(event, alarm):
        begun = start_run(deps.settings, deps.resources, RunLedger(deps.dynamodb, deps.resources.deployment_table),
                          deps.stepfunctions, trigger)
        logger.info(begun.reason, extra={"trigger": trigger.to_dict(), "outcome": begun.outcome, "run_id": begun.run_id})
        outcomes.append({"trigger": trigger.to_dict(), "outcome": begun.outcome, "run_id": begun.run_id, "reason": begun.reason})
    return {"triggers": outcomes}
