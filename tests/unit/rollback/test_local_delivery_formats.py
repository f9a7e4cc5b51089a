"""The emulator's alarm notification and SNS->Lambda event have AWS's shapes: the rollback handler's
parser reads them exactly as it reads the recorded AWS events in tests/events."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from lightship.local.alarm_delivery import cloudwatch_time, notification
from lightship.local.emf import metric_data
from lightship.local.sns_lambda import sns_lambda_event
from lightship.monitoring.alarm_events import parse_alarm_event

CHANGED = datetime(2026, 11, 23, 11, 52, 31, 123000, tzinfo=timezone.utc)


def _alarm(**extra: object) -> dict[str, object]:
    return {
        "AlarmName": "lightship-serving-error-rate",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:lightship-serving-error-rate",
        "AlarmDescription": "5xx over requests",
        "StateValue": "ALARM",
        "StateReason": "Threshold Crossed",
        "StateUpdatedTimestamp": CHANGED,
        "AlarmConfigurationUpdatedTimestamp": CHANGED,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:lightship-rollback"],
        "OKActions": [],
        "InsufficientDataActions": [],
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 0.05,
        "ComparisonOperator": "GreaterThanThreshold",
        **extra,
    }


def test_cloudwatch_time_is_written_as_cloudwatch_writes_it() -> None:
    assert cloudwatch_time(CHANGED) == "2026-11-23T11:52:31.123+0000"


def test_notification_through_the_sns_lambda_event_parses_back_to_the_same_transition() -> None:
    alarm = _alarm(Metrics=[
        {"Id": "errors", "MetricStat": {"Metric": {"Namespace": "Lightship", "MetricName": "Errors5xx", "Dimensions": [{"Name": "service", "Value": "serving"}]}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "expr", "Expression": "IF(requests > 0, errors / requests, 0)", "ReturnData": True},
    ])
    message = notification(alarm, "OK", "123456789012", "us-east-1")
    assert message["Region"] == "US East (N. Virginia)" and message["StateChangeTime"] == "2026-11-23T11:52:31.123+0000"
    assert message["Trigger"]["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"] == [{"value": "serving", "name": "service"}]
    event = sns_lambda_event(
        subscription_arn="arn:aws:sns:us-east-1:123456789012:lightship-rollback:sub", topic_arn="arn:aws:sns:us-east-1:123456789012:lightship-rollback",
        message=json.dumps(message), message_id="m1", subject="ALARM: x", message_attributes={"kind": {"Type": "String", "Value": "alarm"}},
        region="us-east-1", now=CHANGED,
    )
    record = event["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["Sns"]["Timestamp"] == "2026-11-23T11:52:31.123Z"
    assert record["Sns"]["MessageAttributes"] == {"kind": {"Type": "String", "Value": "alarm"}}
    [parsed] = parse_alarm_event(event)
    assert (parsed.alarm_name, parsed.new_state, parsed.old_state, parsed.changed_at) == ("lightship-serving-error-rate", "ALARM", "OK", CHANGED)


def test_single_metric_alarm_trigger_names_its_statistic() -> None:
    alarm = _alarm(MetricName="LatencyMs", Namespace="Lightship", ExtendedStatistic="p99", Dimensions=[{"Name": "service", "Value": "serving"}], Period=60)
    trigger = notification(alarm, "OK", "1", "eu-north-1")["Trigger"]
    assert (trigger["StatisticType"], trigger["Statistic"], trigger["MetricName"]) == ("ExtendedStatistic", "p99", "LatencyMs")


def test_emf_document_becomes_one_datum_per_metric_and_dimension_set() -> None:
    document = {
        "_aws": {"Timestamp": 1795432939227, "CloudWatchMetrics": [{"Namespace": "Lightship", "Dimensions": [["ModelVersion", "service"], ["service"]],
                                                                    "Metrics": [{"Name": "Requests", "Unit": "Count"}, {"Name": "LatencyMs", "Unit": "Milliseconds"}]}]},
        "ModelVersion": "2", "service": "serving", "Requests": [1.0, 1.0, 1.0], "LatencyMs": 12.5,
    }
    data = metric_data(document)
    assert len(data) == 4 and {ns for ns, _ in data} == {"Lightship"}
    requests = [d for _, d in data if d["MetricName"] == "Requests"]
    assert [d["Dimensions"] for d in requests] == [[{"Name": "ModelVersion", "Value": "2"}, {"Name": "service", "Value": "serving"}], [{"Name": "service", "Value": "serving"}]]
    assert requests[0]["Values"] == [1.0, 1.0, 1.0] and requests[0]["Counts"] == [1.0, 1.0, 1.0]
    latency = next(d for _, d in data if d["MetricName"] == "LatencyMs")
    assert latency["Values"] == [12.5] and latency["Unit"] == "Milliseconds"
    assert latency["Timestamp"] == datetime.fromtimestamp(1795432939.227, tz=timezone.utc)
