"""Provision, on the emulator, what the monitoring and alerts stacks define, by the same names.

The alerts and rollback topics, the rollback function (a placeholder zip: the
emulator runs ``lambdas.rollback.handler`` in process through
:mod:`lightship.local.lambda_router`), the rollback topic's Lambda subscription, and
every alarm of :func:`lightship.monitoring.alarms.alarm_specs` with the same actions
as in AWS. Called by :func:`lightship.local.provision.provision`.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from lightship.clients import client
from lightship.local import lambda_router
from lightship.monitoring.alarms import AlarmSpec, alarm_specs
from lightship.resources import Resources
from lightship.settings import Settings

ROLLBACK_HANDLER = "lambdas.rollback.handler:handler"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def topic_arn(resources: Resources, name: str) -> str:
    return f"arn:aws:sns:{resources.region}:{resources.account}:{name}"


def provision_alarms(settings: Settings, resources: Resources) -> None:
    sns = client("sns")
    alerts = sns.create_topic(Name=settings.alerts_topic_name)["TopicArn"]
    rollback = sns.create_topic(Name=settings.rollback_topic_name)["TopicArn"]
    function_arn = _rollback_function(settings, resources)
    lambda_router.register(settings.rollback_function_name, ROLLBACK_HANDLER)
    existing = sns.list_subscriptions_by_topic(TopicArn=rollback).get("Subscriptions", [])
    if not any(s["Endpoint"] == function_arn for s in existing):
        sns.subscribe(TopicArn=rollback, Protocol="lambda", Endpoint=function_arn)
    cloudwatch = client("cloudwatch")
    for spec in alarm_specs(settings):
        cloudwatch.put_metric_alarm(**alarm_request(spec, alerts, rollback))


def alarm_request(spec: AlarmSpec, alerts_topic: str, rollback_topic: str) -> dict[str, Any]:
    """``put_metric_alarm`` arguments for ``spec``: the same alarm the monitoring stack synthesizes."""
    request: dict[str, Any] = {
        "AlarmName": spec.name,
        "AlarmDescription": spec.description,
        "ActionsEnabled": True,
        "AlarmActions": [rollback_topic, alerts_topic] if spec.rolls_back else [alerts_topic],
        "OKActions": [alerts_topic],
        "Threshold": spec.threshold,
        "ComparisonOperator": spec.comparison,
        "EvaluationPeriods": spec.evaluation_periods,
        "DatapointsToAlarm": spec.datapoints_to_alarm,
        "TreatMissingData": "notBreaching",
    }
    if spec.expression is None:
        [metric] = spec.metrics
        request.update(
            Namespace=metric.namespace,
            MetricName=metric.name,
            Dimensions=[{"Name": k, "Value": v} for k, v in metric.dimensions],
            Period=spec.period_seconds,
        )
        if metric.stat.startswith("p"):
            request["ExtendedStatistic"] = metric.stat
        else:
            request["Statistic"] = metric.stat
        return request
    queries: list[dict[str, Any]] = [
        {
            "Id": m.id,
            "MetricStat": {
                "Metric": {"Namespace": m.namespace, "MetricName": m.name, "Dimensions": [{"Name": k, "Value": v} for k, v in m.dimensions]},
                "Period": spec.period_seconds,
                "Stat": m.stat,
            },
            "ReturnData": False,
        }
        for m in spec.metrics
    ]
    queries.append({"Id": "expr", "Expression": spec.expression, "Label": spec.name, "ReturnData": True})
    request["Metrics"] = queries
    return request


def _rollback_function(settings: Settings, resources: Resources) -> str:
    lambda_ = client("lambda")
    name = settings.rollback_function_name
    try:
        return str(lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    except lambda_.exceptions.ResourceNotFoundException:
        pass
    iam = client("iam")
    role_name = f"{settings.project}-rollback-function"
    try:
        role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    created = lambda_.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="lambdas.rollback.handler.handler",
        Code={"ZipFile": _placeholder_zip()},
        Description="Rolls the live model back on an alarm (runs in process on the emulator)",
        Timeout=60,
    )
    return str(created["FunctionArn"])


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "The emulator runs lambdas/rollback/handler.py in process; this zip is never executed.\n")
    return buffer.getvalue()
