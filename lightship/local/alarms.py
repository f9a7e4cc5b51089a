"""The monitoring stack's alarms on the emulator, with the same actions as in AWS.

Every alarm of :func:`lightship.monitoring.alarms.alarm_specs` (the one source the
monitoring stack synthesizes its alarms from). The topics, the rollback function and its
subscription come from the templates (:mod:`lightship.local.from_templates`).
Called by :func:`lightship.local.provision.provision`.
"""

from __future__ import annotations

from typing import Any

from lightship.clients import client
from lightship.monitoring.alarms import AlarmSpec, alarm_specs
from lightship.resources import Resources
from lightship.settings import Settings


def topic_arn(resources: Resources, name: str) -> str:
    return f"arn:aws:sns:{resources.region}:{resources.account}:{name}"


def provision_alarms(settings: Settings, resources: Resources) -> None:
    """Every alarm of :func:`alarm_specs`, its actions on the topics the templates created."""
    alerts, rollback = topic_arn(resources, settings.alerts_topic_name), topic_arn(resources, settings.rollback_topic_name)
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
