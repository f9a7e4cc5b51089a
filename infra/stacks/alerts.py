"""``AlertsStack``: the alerts SNS topic (``Resources.alerts_topic`` (lightship/resources.py)) people subscribe to.

The batch state machine publishes drift and failed runs to it; the monitoring stack may
send alarm notifications to it too. Other stacks reach it by its ARN, built from its
name (:func:`alerts_topic_arn`), not by a CloudFormation export, like the buckets.

It is encrypted with a customer-managed KMS key rather than ``alias/aws/sns``: CloudWatch
alarms and EventBridge cannot publish to a topic under an AWS-managed key, whose policy
cannot name them. The key policy lets those two services, and principals of this account
calling through SNS, use the key, so a publisher needs only ``sns:Publish`` in IAM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from lightship.resources import Names, Resources


def alerts_topic_arn(scope: Construct, names: Names) -> str:
    """The alerts topic's ARN as seen from ``scope``'s stack (tokens or literals, like its env)."""
    return cdk.Arn.format(cdk.ArnComponents(service="sns", resource=names.alerts_topic), cdk.Stack.of(scope))


@dataclass(frozen=True)
class AlertsProps:
    names: Resources
    alert_email: str | None = None  # alarms.alert_email: subscribed to the topic


class AlertsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, props: AlertsProps, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        self.key = kms.Key(
            self,
            "AlertsKey",
            description=f"{props.names.project}: encrypts the alerts topic's messages.",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        use = ["kms:GenerateDataKey*", "kms:Decrypt"]
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmAndEventDelivery",
                actions=use,
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com"), iam.ServicePrincipal("events.amazonaws.com")],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishThroughSnsFromThisAccount",
                actions=use,
                principals=[iam.AnyPrincipal()],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:CallerAccount": self.account,
                        "kms:ViaService": f"sns.{self.region}.amazonaws.com",
                    }
                },
            )
        )
        self.topic = sns.Topic(
            self,
            "AlertsTopic",
            topic_name=self.names.alerts_topic,
            display_name=f"{props.names.project} alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        if props.alert_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(props.alert_email))
        self.topic_arn = self.topic.topic_arn
        cdk.CfnOutput(self, "AlertsTopicArn", value=self.topic.topic_arn, description="SNS topic for drift, failed batch runs and alarms.")
