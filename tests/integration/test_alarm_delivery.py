"""Alarm actions on the emulator: a state change set with set_alarm_state reaches the real rollback handler
through the alarm's SNS action and the topic's Lambda subscription, as in AWS."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from lightship.clients import client
from lightship.local.emulator import LocalEmulator
from lightship.resources import names_for
from lightship.settings import Settings
from tests.integration.rollback_support import ago, alerts_inbox, put_live, record, registry, wait_for
from tests.support.models import register_trained
from tests.support.alarm_table import ALARM_TABLE, rolls_back, watched


@pytest.fixture
def v2_live(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
    v2 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    put_live(emulator.resources, v1, ago(30))
    put_live(emulator.resources, v2, ago(10))


def test_emulator_provisions_every_alarm_with_the_stacks_routes(emulator: LocalEmulator, settings: Settings) -> None:
    alarms = {a["AlarmName"]: a for a in client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert settings.project == "lightship"  # the table is written for the default project's names
    assert set(alarms) == set(ALARM_TABLE)
    for name, (series, _, comparison, routed) in ALARM_TABLE.items():
        assert watched(alarms[name]) == series and alarms[name]["ComparisonOperator"] == comparison, name
        actions = alarms[name]["AlarmActions"]
        assert any(a.endswith(f":{names_for(settings).rollback_topic}") for a in actions) is rolls_back(settings, routed), name
        assert any(a.endswith(f":{names_for(settings).alerts_topic}") for a in actions), name
    topic = next(t["TopicArn"] for t in client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{names_for(settings).rollback_topic}"))
    [subscription] = client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert subscription["Protocol"] == "lambda" and subscription["Endpoint"].endswith(f":function:{names_for(settings).rollback_function}")


def test_set_alarm_state_rolls_back_through_the_alarm_action_and_the_rollback_function(
    emulator: LocalEmulator, settings: Settings, v2_live: None
) -> None:
    resources = emulator.resources
    assert resources is not None
    inbox = alerts_inbox(settings, resources)
    name = f"{settings.project}-serving-error-rate"

    client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 5xx rate 0.31 > 0.05")

    # No explicit delivery: the emulator's watcher notices the change, as CloudWatch would act on it.
    live = wait_for(lambda: (lambda d: d if d and d.version == 1 else None)(record(resources).live()), what="the rollback to version 1")
    assert live.action == "rollback" and "Threshold Crossed: 5xx rate 0.31 > 0.05" in live.reason
    alarm = live.details_dict["alarm"]
    assert alarm["name"] == name and alarm["route"] == "sns"
    assert registry(settings, resources).version(2).status == "Rejected"
    # Two messages reach the alerts topic by two routes (the alarm's own action, the handler's
    # announcement), in either order: collect until both are in.
    messages: list[dict[str, Any]] = []

    def both_in() -> list[dict[str, Any]] | None:
        messages.extend(inbox.messages())
        found = [m["Subject"] for m in messages]
        has_alarm = any(s.startswith(f'ALARM: "{name}"') for s in found)
        return messages if has_alarm and any("rolled back to version 1" in s for s in found) else None

    wait_for(both_in, what="the alarm and the rollback announcement on the alerts topic")
    subjects = sorted(m["Subject"] for m in messages)
    assert any(s.startswith(f'ALARM: "{name}"') for s in subjects), subjects  # the alarm itself, to people
    assert any("rolled back to version 1" in s for s in subjects), subjects  # what the handler did
    notification = json.loads(next(m["Message"] for m in messages if m["Subject"].startswith("ALARM")))
    # moto creates alarms in OK (AWS: INSUFFICIENT_DATA); the watcher reports the state moto held.
    assert notification["NewStateValue"] == "ALARM" and notification["OldStateValue"] == "OK"


def test_the_same_state_set_twice_is_delivered_once_and_ok_goes_to_alerts_only(emulator: LocalEmulator, settings: Settings, v2_live: None) -> None:
    assert emulator.alarm_watcher is not None and emulator.resources is not None
    cloudwatch = client("cloudwatch")
    name = f"{settings.project}-serving-p99-latency"
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="p99 2400 ms")
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="p99 2500 ms")
    first = emulator.alarm_watcher.deliver_pending()
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="p99 back to 80 ms")
    second = emulator.alarm_watcher.deliver_pending()

    delivered = [d for d in emulator.alarm_watcher.deliveries if d.alarm == name]
    assert [(d.new_state, d.topic_arn.rsplit(":", 1)[-1]) for d in delivered] == [
        ("ALARM", names_for(settings).rollback_topic),
        ("ALARM", names_for(settings).alerts_topic),
        ("OK", names_for(settings).alerts_topic),
    ], (first, second)
    history = record(emulator.resources).history()
    assert [h.action for h in history] == ["rollback", "deploy", "deploy"]


def test_an_alarm_without_actions_enabled_delivers_nothing(emulator: LocalEmulator, settings: Settings) -> None:
    assert emulator.alarm_watcher is not None
    cloudwatch = client("cloudwatch")
    name = f"{settings.project}-serving-error-rate"
    cloudwatch.disable_alarm_actions(AlarmNames=[name])
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    assert emulator.alarm_watcher.deliver_pending() == []
    assert not any(d.alarm == name for d in emulator.alarm_watcher.deliveries)


