"""The ledger's conditional writes (in-process moto DynamoDB): one run at a time, each event once, a cool-down,
a dead run's lock taken over, and every trigger and outcome in the history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lightship.retraining.ledger import RunLedger
from lightship.settings import RetrainingSettings

T0 = datetime(2027, 6, 10, 5, 0, tzinfo=UTC)
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


DEFAULT_COOLDOWN = RetrainingSettings().cooldown_hours  # 24 h: the setting as users get it


def test_a_run_that_found_nothing_to_do_starts_no_cool_down_but_one_that_trained_does(ledger: RunLedger) -> None:
    assert DEFAULT_COOLDOWN == 24.0
    quiet = begin(ledger, "a", T0, cooldown=DEFAULT_COOLDOWN).run_id
    assert ledger.finish(quiet, "no_run", "not enough new labels: 3 new labeled rows", now=T0 + timedelta(minutes=2))
    # Ten minutes later the labels have arrived: a trigger starts a run at once (not "cooling_down" for 24 h).
    refused = begin(ledger, "b", T0 + timedelta(minutes=10), cooldown=DEFAULT_COOLDOWN)
    assert refused.outcome == "started"
    assert ledger.finish(refused.run_id, "refused", "the dataset of rejected version 4", now=T0 + timedelta(minutes=11))
    trained = begin(ledger, "c", T0 + timedelta(minutes=12), cooldown=DEFAULT_COOLDOWN)
    assert trained.outcome == "started"  # a refusal trained nothing either
    assert ledger.finish(trained.run_id, "released", "version 5 released", now=T0 + timedelta(hours=1))
    assert begin(ledger, "d", T0 + timedelta(hours=24, minutes=59), cooldown=DEFAULT_COOLDOWN).outcome == "cooling_down"
    assert begin(ledger, "e", T0 + timedelta(hours=25, minutes=1), cooldown=DEFAULT_COOLDOWN).outcome == "started"
    lock = ledger.lock()
    assert lock["state"] == "running"


def test_a_failed_run_starts_the_cool_down(ledger: RunLedger) -> None:
    run = begin(ledger, "a", T0, cooldown=DEFAULT_COOLDOWN).run_id
    assert ledger.finish(run, "failed", "training job ended Failed", now=T0 + timedelta(minutes=30))
    assert begin(ledger, "b", T0 + timedelta(hours=2), cooldown=DEFAULT_COOLDOWN).outcome == "cooling_down"
    assert ledger.lock()["finished_at"] == "2027-06-10T05:30:00.000Z" == ledger.lock()["ended_at"]


def test_the_ledger_writes_the_records_time_format_and_details_as_a_map(ledger: RunLedger) -> None:
    run = begin(ledger, "a", T0).run_id
    ledger.finish(run, "released", "version 3 released", {"version": 3, "share": 0.25, "dataset": {"rows": 1200}},
                  now=T0 + timedelta(minutes=10, milliseconds=5))
    items = ledger.dynamodb.query(TableName="t", KeyConditionExpression="pk = :h",
                                  ExpressionAttributeValues={":h": {"S": "retraining-history"}})["Items"]
    # The deployment record's format (lightship/deployment/record.py): UTC, milliseconds, "Z"; details a map.
    assert sorted(i["at"]["S"] for i in items) == ["2027-06-10T05:00:00.000Z", "2027-06-10T05:10:00.005Z"]
    outcome = next(i for i in items if i["kind"]["S"] == "outcome")
    assert outcome["details"] == {"M": {"version": {"N": "3"}, "share": {"N": "0.25"}, "dataset": {"M": {"rows": {"N": "1200"}}}}}
    assert outcome["sk"]["S"] == f"2027-06-10T05:10:00.005Z#outcome#{run}"
    started = next(i for i in items if i["kind"]["S"] == "trigger")
    assert started["details"] == {"M": {"trigger": {"M": {"kind": {"S": "drift"}, "reason": {"S": "drift in tenure"}, "ref": {"S": "run-1"}}}}}
    entry = ledger.outcome_of(run)
    assert entry is not None and entry.details == {"version": 3, "share": 0.25, "dataset": {"rows": 1200}}
    assert entry.at == "2027-06-10T05:10:00.005Z"
    assert ledger.lock()["started_at"] == "2027-06-10T05:00:00.000Z"


def test_history_written_with_details_as_a_json_string_still_reads(ledger: RunLedger) -> None:
    ledger.dynamodb.put_item(TableName="t", Item={
        "pk": {"S": "retraining-history"}, "sk": {"S": "2027-06-01T00:00:00.000+00:00#outcome#old"},
        "at": {"S": "2027-06-01T00:00:00.000+00:00"}, "kind": {"S": "outcome"}, "outcome": {"S": "no_run"},
        "run_id": {"S": "old"}, "reason": {"S": "not enough"}, "details": {"S": '{"version": null, "n": 2}'}})
    entry = ledger.outcome_of("old")
    assert entry is not None and entry.details == {"version": None, "n": 2}
