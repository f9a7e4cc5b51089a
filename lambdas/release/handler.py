"""The release state machine's function: one task per invocation (``action``: set_weight, check, promote, abort).

Thin on purpose: build the collaborators from ``LIGHTSHIP_*`` variables the release stack
sets, hand the event to :func:`lightship.release.machine.run_task`, log and count what
happened. The local emulator routes invocations here too.
"""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lightship.clients import cached_client
from lightship.deployment.record import DeploymentRecord
from lightship.monitoring.alarms import candidate_alarm_names
from lightship.observability import NAMESPACE, RELEASE_ABORTS, RELEASE_PROMOTIONS, SERVICE_RELEASE
from lightship.registry.model_registry import ModelRegistry
from lightship.release.machine import Collaborators, run_task
from lightship.resources import resources_of_function
from lightship.settings import cached_settings

warnings.filterwarnings("ignore", message="No application metrics to publish")
logger = Logger(service=SERVICE_RELEASE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_RELEASE)


def collaborators(function_arn: str) -> Collaborators:
    settings = cached_settings()
    resources = resources_of_function(settings, function_arn)
    return Collaborators(
        record=DeploymentRecord(cached_client("dynamodb"), resources.deployment_table),
        registry=ModelRegistry(settings, cached_client("sagemaker"), cached_client("s3"), resources.artifact_bucket),
        cloudwatch=cached_client("cloudwatch"),
        candidate_alarms=sorted(candidate_alarm_names(settings)),
    )


@metrics.log_metrics
@logger.inject_lambda_context(log_event=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = run_task(event, collaborators(context.invoked_function_arn))
    if result.get("verdict") == "aborted":
        metrics.add_metric(name=RELEASE_ABORTS, unit=MetricUnit.Count, value=1)
    elif result.get("verdict") == "promoted":
        metrics.add_metric(name=RELEASE_PROMOTIONS, unit=MetricUnit.Count, value=1)
    logger.info(str(result.get("reason", "")), extra={"action": event.get("action"), "result": result})
    return result
