"""Shared set-up for the rollback tests on the emulator: versions, deploys, alarm events, the alerts inbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from lightship.clients import client
from lightship.deployment.record import Deployment, DeploymentRecord, record_time
from lightship.local.alarm_delivery import cloudwatch_time
from lightship.local.alerts_inbox import AlertsInbox
from lightship.local.sns_lambda import sns_lambda_event
from lightship.polling import wait_until
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.resources import Resources, names_for
from lightship.settings import Settings


def registry(settings: Settings, resources: Resources) -> ModelRegistry:
    return ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)


def record(resources: Resources) -> DeploymentRecord:
    return DeploymentRecord(client("dynamodb"), resources.deployment_table)


def put_live(resources: Resources, version: ModelVersion, at: datetime) -> Deployment:
    """Write a deploy of ``version`` to the record, as ``lightship deploy`` does, at time ``at``."""
    rec = record(resources)
    live = rec.live()
    new = Deployment(
        version=version.version,
        package_arn=version.arn,
        model_data_url=version.model_data_url,
        revision=(live.revision + 1) if live else 1,
        action="deploy",
        reason="test deploy",
        by="tests",
        at=record_time(at),
        previous_version=live.version if live else None,
    )
    return rec.write(new, live.revision if live else None)


def ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def sns_alarm_event(settings: Settings, resources: Resources, alarm: str, changed_at: datetime, state: str = "ALARM") -> dict[str, Any]:
    """What SNS hands the rollback function when ``alarm`` changes state (as in tests/events/alarm_sns.json)."""
    topic = f"arn:aws:sns:{resources.region}:{resources.account}:{names_for(settings).rollback_topic}"
    message = {
        "AlarmName": alarm,
        "AlarmArn": f"arn:aws:cloudwatch:{resources.region}:{resources.account}:alarm:{alarm}",
        "NewStateValue": state,
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (0.05)",
        "StateChangeTime": cloudwatch_time(changed_at),
        "AlarmActions": [topic],
        "Trigger": {},
    }
    # The event AWS hands a function subscribed to the topic (the emulator's SNS delivery builds the same).
    return sns_lambda_event(subscription_arn=f"{topic}:0000", topic_arn=topic, message=json.dumps(message), message_id="m-1",
                            subject=f"{state}: {alarm}", message_attributes={}, region=resources.region,
                            now=datetime(2026, 1, 1, tzinfo=timezone.utc))


def invoke_rollback(settings: Settings, event: Any) -> dict[str, Any]:
    """Invoke the rollback function on the emulator (routed to the real handler)."""
    response = client("lambda").invoke(FunctionName=names_for(settings).rollback_function, Payload=json.dumps(event).encode())
    assert "FunctionError" not in response, response["Payload"].read()
    return dict(json.loads(response["Payload"].read()))


def alerts_inbox(settings: Settings, resources: Resources) -> AlertsInbox:
    """An SQS queue subscribed to the alerts topic: what people subscribed to alerts would receive."""
    return AlertsInbox(f"arn:aws:sns:{resources.region}:{resources.account}:{names_for(settings).alerts_topic}", "alerts-inbox")


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    return wait_until(condition, what, timeout=timeout, interval=0.1)
