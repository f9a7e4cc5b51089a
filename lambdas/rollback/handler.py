"""The rollback Lambda: an alarm arrives (SNS or EventBridge), the live model is put back.

A candidate alarm (a release's canary or shadow) instead aborts the release: one alarm
path for both (:meth:`lightship.rollback.rollback.Rollbacker.on_alarm`).

Thin on purpose: parse the event (:mod:`lightship.monitoring.alarm_events`), hand each alarm to
:class:`lightship.rollback.rollback.Rollbacker`, log what happened and count it.
A malformed event is logged and rejected (returned, not raised: a retry could not
make it readable) with no side effects. Idempotency needs no extra store: the
deployment record's conditional write and the "version live at the alarm's time"
rule make a redelivered alarm a no-op (see ``lightship/rollback/decision.py``).
When the record was rolled back but the registry could not mark the failed version
Rejected, the handler raises :class:`RollbackIncomplete` after logging and counting,
so Lambda delivers the alarm again and that delivery completes the rejection.

Configuration comes from ``LIGHTSHIP_*`` environment variables the monitoring stack
sets (project, model package group, table, artifact bucket); every name, the alerts topic's
included, is resolved by :mod:`lightship.resources` in the function's own partition, region and account. The local emulator routes invocations here too.
"""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lightship.clients import cached_client
from lightship.deployment.record import DeploymentRecord
from lightship.monitoring.alarms import candidate_alarm_names
from lightship.observability import NAMESPACE, RELEASE_ABORTS, ROLLBACK_IMPOSSIBLE, ROLLBACKS, SERVICE_ROLLBACK
from lightship.registry.model_registry import ModelRegistry
from lightship.resources import resources_of_function
from lightship.rollback.decision import Verdict
from lightship.monitoring.alarm_events import MalformedAlarmEvent, parse_alarm_event
from lightship.rollback.rollback import Rollbacker, RollbackIncomplete
from lightship.settings import cached_settings

# An alarm that changes nothing emits no metric; that is expected, not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish")
logger = Logger(service=SERVICE_ROLLBACK)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_ROLLBACK)


def rollbacker(function_arn: str) -> Rollbacker:
    """Collaborators for this account and region (``arn:aws:lambda:REGION:ACCOUNT:function:NAME``)."""
    settings = cached_settings()
    resources = resources_of_function(settings, function_arn)
    return Rollbacker(
        DeploymentRecord(cached_client("dynamodb"), resources.deployment_table),
        ModelRegistry(settings, cached_client("sagemaker"), cached_client("s3"), resources.artifact_bucket),
        cached_client("sns"),
        resources.alerts_topic_arn,
        candidate_alarms=candidate_alarm_names(settings),
    )


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        alarms = parse_alarm_event(event)
    except MalformedAlarmEvent as exc:
        logger.error("rejected a malformed alarm event; nothing was done", extra={"error": str(exc), "event": str(event)[:2000]})
        return {"status": "rejected", "error": str(exc)}

    worker = rollbacker(context.invoked_function_arn)
    results = []
    for alarm in alarms:
        outcome = worker.on_alarm(alarm, by=f"rollback handler ({context.function_name}, {alarm.route})")
        facts = {"outcome": outcome.as_dict(), "incident": alarm.incident}
        if outcome.verdict is Verdict.ROLL_BACK:
            metrics.add_metric(name=ROLLBACKS, unit=MetricUnit.Count, value=1)
            logger.warning(outcome.why, extra=facts)
        elif outcome.verdict is Verdict.RELEASE_ABORTED:
            metrics.add_metric(name=RELEASE_ABORTS, unit=MetricUnit.Count, value=1)
            logger.warning(outcome.why, extra=facts)
        elif outcome.verdict is Verdict.IMPOSSIBLE:
            metrics.add_metric(name=ROLLBACK_IMPOSSIBLE, unit=MetricUnit.Count, value=1)
            logger.error(outcome.why, extra=facts)
        else:
            logger.info(outcome.why, extra=facts)
        if outcome.pending:
            logger.error(outcome.pending, extra=facts)
        results.append(outcome.as_dict())
    pending = [r["pending"] for r in results if r["pending"]]
    if pending:  # fail the invocation: Lambda's retry of this event completes what is owed
        raise RollbackIncomplete("; ".join(pending))
    return {"status": "processed", "results": results}
