"""The rollback handler on the emulator: each safety case of issue 5, through the real function route."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from lightship.clients import client
from lightship.local.emulator import LocalEmulator
from lightship.resources import names_for
from lightship.settings import Settings
from tests.integration.rollback_support import (
    ago,
    alerts_inbox,
    invoke_rollback,
    put_live,
    record,
    registry,
    sns_alarm_event,
)
from tests.support.models import register_trained

ERRORS = "lightship-serving-error-rate"


@pytest.fixture
def two_approved(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> tuple[Any, Any]:
    """v1 and v2 Approved; v1 deployed 30 minutes ago, v2 10 minutes ago."""
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
    v2 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    put_live(emulator.resources, v1, ago(30))
    put_live(emulator.resources, v2, ago(10))
    return v1, v2


def test_alarm_rolls_back_to_the_previous_approved_version_and_rejects_the_failed_one(
    emulator: LocalEmulator, settings: Settings, two_approved: tuple[Any, Any]
) -> None:
    resources = emulator.resources
    assert resources is not None
    inbox = alerts_inbox(settings, resources)
    result = invoke_rollback(settings, sns_alarm_event(settings, resources, ERRORS, ago(1)))

    assert [r["verdict"] for r in result["results"]] == ["rolled_back"]
    live = record(resources).live()
    assert live is not None and (live.version, live.action, live.previous_version, live.revision) == (1, "rollback", 2, 3)
    assert ERRORS in live.reason and "Threshold Crossed" in live.reason
    assert live.details_dict["alarm"]["name"] == ERRORS and live.details_dict["failed_version"] == 2
    v2 = registry(settings, resources).version(2)
    assert v2.status == "Rejected" and ERRORS in v2.approval_description
    [alert] = inbox.messages()
    body = json.loads(alert["Message"])
    assert (body["from_version"], body["to_version"]) == (2, 1) and "rolled back to version 1" in alert["Subject"]


def test_rollback_is_idempotent_when_alarm_arrives_twice(emulator: LocalEmulator, settings: Settings, two_approved: tuple[Any, Any], customers_frame: pd.DataFrame) -> None:
    resources = emulator.resources
    assert resources is not None
    event = sns_alarm_event(settings, resources, ERRORS, ago(1))
    first = invoke_rollback(settings, event)
    second = invoke_rollback(settings, event)  # SNS redelivery
    latency = invoke_rollback(settings, sns_alarm_event(settings, resources, "lightship-serving-p99-latency", ago(0.5)))  # same incident

    assert first["results"][0]["verdict"] == "rolled_back"
    assert second["results"][0]["verdict"] == "ignored" and latency["results"][0]["verdict"] == "ignored"
    history = record(resources).history()
    assert [(h.revision, h.version, h.action) for h in history] == [(3, 1, "rollback"), (2, 2, "deploy"), (1, 1, "deploy")]
    assert registry(settings, resources).version(1).status == "Approved"  # never two versions back


def test_alarm_about_a_version_no_longer_live_does_nothing(emulator: LocalEmulator, settings: Settings, two_approved: tuple[Any, Any]) -> None:
    resources = emulator.resources
    assert resources is not None
    inbox = alerts_inbox(settings, resources)
    before = record(resources).history()
    # It changed state 20 minutes ago, when v1 was live; v2 has replaced v1 since.
    result = invoke_rollback(settings, sns_alarm_event(settings, resources, ERRORS, ago(20)))

    assert result["results"][0]["verdict"] == "ignored"
    assert "moved on to version 2" in result["results"][0]["why"]
    assert record(resources).history() == before
    assert [v.status for v in registry(settings, resources).versions()] == ["Approved", "Approved"]
    assert inbox.messages() == []


def test_no_earlier_approved_version_changes_nothing_and_says_so_loudly(
    emulator: LocalEmulator,
    settings: Settings,
    customers_frame: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    resources = emulator.resources
    assert resources is not None
    v1 = register_trained(settings, resources, customers_frame, "churned", name="job-1", approve=True)
    put_live(resources, v1, ago(10))
    inbox = alerts_inbox(settings, resources)
    before = record(resources).history()
    capsys.readouterr()

    result = invoke_rollback(settings, sns_alarm_event(settings, resources, ERRORS, ago(1)))

    assert result["status"] == "processed" and result["results"][0]["verdict"] == "impossible"
    assert record(resources).history() == before
    assert registry(settings, resources).version(1).status == "Approved"
    [alert] = inbox.messages()
    assert "rollback impossible" in alert["Subject"] and "no Approved version older than it" in alert["Message"]
    assert any(r.levelname == "ERROR" and "no Approved version older" in r.getMessage() for r in caplog.records)
    # What the handler prints (EMF included) goes to its log group, as on Lambda, not to this process's stdout.
    assert '{"_aws"' not in capsys.readouterr().out
    events = client("logs").filter_log_events(logGroupName=f"/aws/lambda/{names_for(settings).rollback_function}")["events"]
    emf = [json.loads(e["message"]) for e in events if e["message"].startswith('{"_aws"')]
    assert [doc["RollbackImpossible"] for doc in emf if "RollbackImpossible" in doc] == [[1.0]], emf


@pytest.mark.parametrize(
    "event",
    [
        {"hello": "world"},
        {"Records": [{"Sns": {"Message": "{not json"}}]},
        {"Records": [{"Sns": {"Message": json.dumps({"AlarmName": "x", "NewStateValue": "ALARM"})}}]},
    ],
)
def test_malformed_event_is_logged_and_rejected_without_side_effects(
    emulator: LocalEmulator, settings: Settings, two_approved: tuple[Any, Any], event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    resources = emulator.resources
    assert resources is not None
    inbox = alerts_inbox(settings, resources)
    before = record(resources).history()

    result = invoke_rollback(settings, event)

    assert result["status"] == "rejected" and result["error"]
    assert record(resources).history() == before
    assert [v.status for v in registry(settings, resources).versions()] == ["Approved", "Approved"]
    assert inbox.messages() == []
    assert any(r.levelname == "ERROR" and "rejected a malformed alarm event" in r.getMessage() for r in caplog.records)


def test_same_incident_by_eventbridge_and_sns_rolls_back_once(emulator: LocalEmulator, settings: Settings, two_approved: tuple[Any, Any]) -> None:
    resources = emulator.resources
    assert resources is not None
    changed = ago(1)
    sns_event = sns_alarm_event(settings, resources, ERRORS, changed)
    message = json.loads(sns_event["Records"][0]["Sns"]["Message"])
    eventbridge = {
        "version": "0", "id": "e-1", "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
        "account": resources.account, "time": message["StateChangeTime"], "region": resources.region, "resources": [message["AlarmArn"]],
        "detail": {"alarmName": ERRORS, "state": {"value": "ALARM", "reason": message["NewStateReason"], "timestamp": message["StateChangeTime"]},
                   "previousState": {"value": "OK", "reason": "", "timestamp": message["StateChangeTime"]}, "configuration": {}},
    }
    first = invoke_rollback(settings, eventbridge)
    second = invoke_rollback(settings, sns_event)
    assert first["results"][0]["verdict"] == "rolled_back" and second["results"][0]["verdict"] == "ignored"
    live = record(resources).live()
    assert live is not None and live.version == 1 and live.details_dict["alarm"]["route"] == "eventbridge"


def test_three_alarms_that_all_read_before_any_writes_roll_back_one_version_only(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    """Three deliveries run at once in the emulator's threads, and a barrier holds each at its
    conditional write until all three have read revision 3: the race happens every run, and only
    the record's condition lets one win (without it, all three roll back)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from lightship.clients import cached_client

    resources = emulator.resources
    assert resources is not None
    for n, c in enumerate((0.01, 0.1, 1.0), start=1):
        version = register_trained(settings, resources, customers_frame, "churned", params={"C": c}, name=f"job-{n}", approve=True)
        put_live(resources, version, ago(40 - 10 * n))
    events = [sns_alarm_event(settings, resources, name, ago(1)) for name in (ERRORS, "lightship-serving-p99-latency", "lightship-serving-model-failures")]
    # Warm the function first (imports, clients), so the three threads meet at the barrier in seconds.
    assert invoke_rollback(settings, sns_alarm_event(settings, resources, ERRORS, ago(1), state="OK"))["results"][0]["verdict"] == "ignored"
    everyone_has_read = threading.Barrier(3, timeout=45)
    arrived: list[str] = []

    def hold_the_write(**_: Any) -> None:
        arrived.append(threading.current_thread().name)
        everyone_has_read.wait()

    dynamodb = cached_client("dynamodb")  # the routed handlers' client: they run in this process
    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", hold_the_write, unique_id="three-alarms")
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda e: invoke_rollback(settings, e), events))
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="three-alarms")

    assert len(arrived) == 3 and len(set(arrived)) == 3  # all three reached the write, from three threads
    verdicts = sorted(r["results"][0]["verdict"] for r in results)
    assert verdicts == ["ignored", "ignored", "rolled_back"]
    history = record(resources).history()
    assert [(h.revision, h.action, h.version) for h in history] == [(4, "rollback", 2), (3, "deploy", 3), (2, "deploy", 2), (1, "deploy", 1)]
    assert [v.status for v in registry(settings, resources).versions()] == ["Rejected", "Approved", "Approved"]
