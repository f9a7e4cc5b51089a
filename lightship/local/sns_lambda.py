"""SNS -> Lambda delivery for the emulator, through our in-process Lambda compute.

moto delivers a message for a ``lambda`` subscription by calling its Docker Lambda
(``LambdaFunction.invoke``), not the Docker-free backend :mod:`lightship.local.lambda_router`
patches, and with a placeholder event (``TopicArn: arn:aws:sns:EXAMPLE``, a 1970
timestamp, made-up attributes). :func:`install` makes a topic's Lambda subscriptions
run the routed handler with the event AWS sends (the subscription ARN, the topic ARN,
message id, subject, time, attributes), so a function subscribed to a topic, such as
the rollback handler to the rollback topic, gets exactly what it would get in AWS.
Subscriptions to functions with no route keep moto's own behaviour. Installed by
:class:`lightship.local.emulator.LocalEmulator`.

AWS invokes the function asynchronously and the publisher never sees its errors;
here it runs before ``Publish`` returns (simpler to reason about in tests), and its
errors are logged, not returned to the publisher.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from typing import Any

from lightship.local import lambda_router

log = logging.getLogger(__name__)
_lock = threading.Lock()
_installed = False


def sns_lambda_event(
    *,
    subscription_arn: str,
    topic_arn: str,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
    region: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The event Lambda receives from an SNS subscription (docs: "Using Lambda with Amazon SNS")."""
    moment = now or datetime.now(timezone.utc)
    attributes = {
        name: {"Type": value.get("Type") or value.get("DataType"), "Value": value.get("Value") or value.get("StringValue")}
        for name, value in (message_attributes or {}).items()
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
                    "SignatureVersion": "1",
                    "Signature": "EMULATED",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-emulated.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }


def install() -> None:
    """Patch moto's SNS subscriptions (idempotent)."""
    global _installed
    from moto.sns.models import Subscription

    with _lock:
        if _installed:
            return
        original = Subscription.publish

        def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                    message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                    deduplication_id: str | None = None, message_structure: str | None = None) -> None:
            target = lambda_router.routes().get(lambda_router._name(self.endpoint)) if self.protocol == "lambda" else None
            if target is None:
                return original(self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure)
            if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
                return None
            if message_structure == "json":
                message = self._parse_message_structure(message, self.protocol)
            event = sns_lambda_event(
                subscription_arn=self.arn,
                topic_arn=self.topic.arn,
                message=message,
                message_id=message_id,
                subject=subject,
                message_attributes=message_attributes,
                region=self.endpoint.split(":")[3],
            )
            headers: dict[str, str] = {}
            result = lambda_router.invoke_local(self.endpoint, target, json.dumps(event).encode(), headers)
            if headers.get("x-amz-function-error"):
                log.error("function %s failed on a message from %s: %s", self.endpoint, self.topic.arn, result.decode()[:2000])
            return None

        Subscription.publish = publish  # type: ignore[method-assign]
        _installed = True
