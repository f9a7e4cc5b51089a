"""The ledger's conditional writes (in-process moto DynamoDB): one run at a time, each event once, a cool-down,
a dead run's lock taken over, and every trigger and outcome in the history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lightship.retraining.ledger import RunLedger

T0 = datetime(2027, 6, 10, 5, 0, tzinfo=timezone.utc)
TRIGGER = {"kind": "drift", "reason": "drift in tenure", "ref": "run-1"}


@pytest.fixture
def ledger() -> Iterator[RunLedger]:
    with mock_aws():
        dynamodb: Any = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
        yield RunLedger(dynamodb, "t")


def begin(ledger: RunLedger, key: str, at: datetime, cooldown: float = 1.0, stale: float = 6.0) -> Any:
    return ledger.begin(key, TRIGGER, cooldown_hours=cooldown, stale_run_hours=stale, now=at)


def test_a_trigger_during_a_run_is_recorded_not_started_and_the_same_event_twice_is_recorded_once(ledger: RunLedger) -> None:
    first = begin(ledger, "drift:run-1", T0)
    assert first.outcome == "started" and ledger.lock()["run_id"] == first.run_id
    busy = begin(ledger, "drift:run-2", T0 + timedelta(minutes=1))
    assert (busy.outcome, busy.run_id) == ("busy", first.run_id)
    assert begin(ledger, "drift:run-2", T0 + timedelta(minutes=2)).outcome == "duplicate"
    assert begin(ledger, "drift:run-1", T0 + timedelta(minutes=3)).outcome == "duplicate"
    history = ledger.recent()
    assert sorted(e.outcome for e in history) == ["busy", "started"]
    assert ledger.lock()["run_id"] == first.run_id


def test_finishing_frees_the_lock_once_and_the_cool_down_holds_the_next_trigger(ledger: RunLedger) -> None:
    run = begin(ledger, "a", T0).run_id
    assert ledger.finish(run, "released", "version 3 released", {"version": 3}, now=T0 + timedelta(minutes=10))
    assert not ledger.finish(run, "failed", "a retried task", now=T0 + timedelta(minutes=11))  # already finished: nothing changes
    cooling = begin(ledger, "b", T0 + timedelta(minutes=30), cooldown=1.0)
    assert cooling.outcome == "cooling_down" and "less than 1 h ago" in cooling.reason
    later = begin(ledger, "c", T0 + timedelta(minutes=71), cooldown=1.0)
    assert later.outcome == "started"
    outcome = ledger.outcome_of(run)
    assert outcome is not None and (outcome.outcome, outcome.details) == ("released", {"version": 3})
    assert [e.outcome for e in ledger.recent()] == ["started", "cooling_down", "released", "started"]


def test_a_run_that_never_finished_stops_blocking_after_stale_run_hours(ledger: RunLedger) -> None:
    dead = begin(ledger, "a", T0).run_id
    assert begin(ledger, "b", T0 + timedelta(hours=5), stale=6.0).outcome == "busy"
    taken = begin(ledger, "c", T0 + timedelta(hours=7), stale=6.0)
    assert taken.outcome == "started" and taken.run_id != dead
    assert not ledger.finish(dead, "failed", "late")  # the dead run can no longer free the new run's lock
    assert ledger.lock()["run_id"] == taken.run_id
