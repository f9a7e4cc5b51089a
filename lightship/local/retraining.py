"""The retraining stack on the emulator: the state machine ``cdk synth`` emits, its function, its subscription.

:func:`provision_retraining` (called by :func:`lightship.local.provision.provision`) provisions the
synthesized stack (:mod:`lightship.local.synthesized_stack`) and subscribes the function to the
alerts topic, as the stack does (``LambdaSubscription``), so a drift alert or the quality alarm
delivered to the topic reaches it (:mod:`lightship.local.sns_lambda`). The schedule rule, if set,
is not created: the emulator's EventBridge fires no schedules (NOTES.md).
"""

from __future__ import annotations

from typing import Any

from lightship.clients import client
from lightship.local.synthesized_stack import provision_stack, synthesized
from lightship.resources import Resources
from lightship.settings import Settings

SOURCES = ("infra/stacks/retraining.py", "infra/stacks/batch.py", "infra/stacks/alerts.py", "infra/nag.py",
           "lightship/local/stack_synth.py", "cdk.json")


def synthesized_retraining(settings: Settings) -> dict[str, Any]:
    return synthesized(settings, concern="retraining", stack_class="infra.stacks.retraining:RetrainingStack", sources=SOURCES)


def provision_retraining(settings: Settings, resources: Resources) -> None:
    stack = synthesized_retraining(settings)
    sns = client("sns")
    topic = sns.create_topic(Name=settings.alerts_topic_name)["TopicArn"]
    provision_stack(settings, resources, stack, timeout=900, memory_mb=settings.retraining.memory_mb)
    (function,) = stack["functions"].values()
    endpoint = f"arn:aws:lambda:{resources.region}:{resources.account}:function:{function['name']}"
    subscribed = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions", [])}
    if endpoint not in subscribed:
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=endpoint)
