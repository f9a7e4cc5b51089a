"""Parsing what alarms deliver: both AWS shapes, and clear refusals for anything else."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from lightship.monitoring.alarm_events import MalformedAlarmEvent, parse_alarm_event, parse_time

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def test_sns_wrapped_alarm_notification_is_read_with_its_state_reason_and_time() -> None:
    [alarm] = parse_alarm_event(_load("alarm_sns.json"))
    assert alarm.alarm_name == "lightship-serving-error-rate"
    assert alarm.new_state == "ALARM" and alarm.old_state == "OK"
    assert alarm.reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints")
    assert alarm.changed_at == datetime(2026, 11, 23, 11, 52, 31, 123000, tzinfo=timezone.utc)
    assert alarm.route == "sns"
    assert alarm.alarm_arn == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:lightship-serving-error-rate"
    assert alarm.trigger["Threshold"] == 0.05


def test_eventbridge_alarm_state_change_is_read_into_the_same_shape() -> None:
    [alarm] = parse_alarm_event(_load("alarm_eventbridge.json"))
    assert alarm.alarm_name == "lightship-serving-p99-latency"
    assert alarm.new_state == "ALARM" and alarm.old_state == "OK"
    assert alarm.changed_at == datetime(2026, 11, 23, 11, 52, 31, 123000, tzinfo=timezone.utc)
    assert alarm.route == "eventbridge"


def test_the_same_transition_by_either_route_is_the_same_incident() -> None:
    sns = _load("alarm_sns.json")
    message = json.loads(sns["Records"][0]["Sns"]["Message"])
    message["AlarmName"] = "lightship-serving-p99-latency"
    sns["Records"][0]["Sns"]["Message"] = json.dumps(message)
    [by_sns] = parse_alarm_event(sns)
    [by_events] = parse_alarm_event(_load("alarm_eventbridge.json"))
    assert by_sns.incident == by_events.incident


def test_a_bare_notification_is_accepted_for_direct_invocation() -> None:
    message = json.loads(_load("alarm_sns.json")["Records"][0]["Sns"]["Message"])
    [alarm] = parse_alarm_event(message)
    assert alarm.route == "direct" and alarm.alarm_name == "lightship-serving-error-rate"


def _with_message(message: Any) -> dict[str, Any]:
    event = _load("alarm_sns.json")
    event["Records"][0]["Sns"]["Message"] = message if isinstance(message, str) else json.dumps(message)
    return event


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ([], "expected a JSON object"),
        ({}, "neither an SNS event"),
        ({"Records": []}, "non-empty list"),
        ({"Records": [{"Sns": {}}]}, "Records[0] has no Sns.Message"),
        (_with_message("not json"), "Records[0].Sns.Message is not JSON"),
        (_with_message([1, 2]), "not a JSON object"),
        (_with_message({"AlarmName": "x", "NewStateValue": "ALARM"}), "StateChangeTime"),
        (_with_message({"AlarmName": "x", "NewStateValue": "BROKEN", "StateChangeTime": "2026-11-23T11:52:31.123+0000"}), "unknown alarm state"),
        (_with_message({"AlarmName": "x", "NewStateValue": "ALARM", "StateChangeTime": "yesterday"}), "changed_at"),
        ({"detail-type": "Object Created", "source": "aws.s3", "detail": {"alarmName": "x", "state": {"value": "ALARM", "timestamp": "2026-11-23T11:00:00Z"}}}, "not a CloudWatch alarm state change"),
        ({"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "detail": {}}, "detail.alarmName"),
    ],
)
def test_malformed_events_are_refused_with_what_is_wrong(event: Any, says: str) -> None:
    with pytest.raises(MalformedAlarmEvent) as caught:
        parse_alarm_event(copy.deepcopy(event))
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["2026-11-23T11:52:31.123+0000", "2026-11-23T11:52:31.123Z", "2026-11-23T11:52:31.123+00:00", "2026-11-23T12:52:31.123+0100"],
)
def test_cloudwatch_and_iso_times_parse_to_the_same_instant(text: str) -> None:
    assert parse_time(text) == datetime(2026, 11, 23, 11, 52, 31, 123000, tzinfo=timezone.utc)
