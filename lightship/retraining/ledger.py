"""The retraining ledger in DynamoDB: one run at a time, every trigger and outcome in its history.

Items in the deployment table (the record's table; other partition keys):

* ``pk="retraining", sk="lock"``: ``state`` (``running`` | ``idle``), ``run_id``, ``started_at``,
  ``ended_at`` (the last run's end, whatever its outcome) and ``finished_at`` (the end of the last run
  that trained or failed: :data:`COOLING_OUTCOMES`; a run that found nothing to do, ``no_run``, or was
  refused before training starts no cool-down). A run begins with a conditional write that holds only
  when the lock is idle, past the cool-down (``finished_at`` older than ``cooldown_hours``), or held by
  a run older than ``stale_run_hours`` (a dead run must not block the loop forever);
* ``pk="retraining-event", sk=<event key>``: written with the same transaction, only if absent,
  so the same event delivered twice (SNS retries, an alarm delivered again) is recorded once;
* ``pk="retraining-history", sk=<at>#<run or event>``: what happened: a run started, a trigger
  recorded but not acted on (a run under way, the cool-down, a setting), a run's outcome.

Times are the deployment record's one format (:func:`lightship.deployment.record.record_time`) and
``details`` a DynamoDB map (:func:`~lightship.deployment.record.details_to_map`), as in the record's
own history: the table holds one ``at`` format and one ``details`` shape.

:class:`RunLedger` does the writes; :mod:`lightship.retraining.start` and the state machine's
tasks (:mod:`lightship.retraining.steps`) call it; ``lightship status`` reads :meth:`recent`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from lightship.deployment.record import details_from_cell, details_to_map, record_time

LOCK = {"pk": {"S": "retraining"}, "sk": {"S": "lock"}}
RUNNING, IDLE = "running", "idle"
# Outcomes of a trigger or a run, as the history records them.
STARTED, BUSY, COOLING, DUPLICATE, DISABLED = "started", "busy", "cooling_down", "duplicate", "disabled"
NO_RUN, GATE_REFUSED, RELEASED, FAILED, REFUSED = "no_run", "gate_refused", "released", "failed", "refused"
# Outcomes of runs that trained (or tried to and failed): only these start the cool-down.
COOLING_OUTCOMES = frozenset({GATE_REFUSED, RELEASED, FAILED})


@dataclass(frozen=True)
class Entry:
    at: str
    kind: str  # trigger | outcome
    outcome: str
    run_id: str
    reason: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Begun:
    outcome: str  # started | busy | cooling_down | duplicate
    run_id: str  # the new run's id, or the one under way (busy), or ""
    reason: str


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_run_id(now: datetime | None = None) -> str:
    """Also the state machine execution's name."""
    return f"retrain-{(now or utc_now()):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class RunLedger:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def lock(self) -> dict[str, Any]:
        item = self.dynamodb.get_item(TableName=self.table, Key=LOCK, ConsistentRead=True).get("Item") or {}
        return {k: next(iter(v.values())) for k, v in item.items()}

    def begin(self, event_key: str, trigger: dict[str, Any], *, cooldown_hours: float, stale_run_hours: float,
              now: datetime | None = None, run_id: str | None = None) -> Begun:
        """Take the lock for a new run, or record why not; the same ``event_key`` twice changes nothing."""
        moment = now or utc_now()
        rid = run_id or new_run_id(moment)
        at = record_time(moment)
        values = {":idle": {"S": IDLE}, ":cool": {"S": record_time(moment - timedelta(hours=cooldown_hours))},
                  ":stale": {"S": record_time(moment - timedelta(hours=stale_run_hours))}}
        lock = {**LOCK, "state": {"S": RUNNING}, "run_id": {"S": rid}, "started_at": {"S": at},
                "trigger": {"S": json.dumps(trigger, sort_keys=True)}}
        condition = ("attribute_not_exists(pk) OR (#state = :idle AND (attribute_not_exists(finished_at) OR finished_at <= :cool)) "
                     "OR (#state <> :idle AND started_at <= :stale)")
        try:
            self.dynamodb.transact_write_items(TransactItems=[
                self._event(event_key, rid, at),
                {"Put": {"TableName": self.table, "Item": lock, "ConditionExpression": condition,
                         "ExpressionAttributeNames": {"#state": "state"}, "ExpressionAttributeValues": values}},
                self._history(at, rid, "trigger", STARTED, f"run {rid} started: {trigger.get('reason', '')}", {"trigger": trigger}),
            ])
            return Begun(STARTED, rid, f"run {rid} started")
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"TransactionCanceledException", "ConditionalCheckFailedException"}:
                raise
        if self._seen(event_key):
            return Begun(DUPLICATE, "", f"event {event_key} was already recorded")
        current = self.lock()
        if current.get("state") == RUNNING:
            outcome, run, reason = BUSY, str(current.get("run_id", "")), f"run {current.get('run_id')} is under way: recorded, not started"
        else:
            outcome, run = COOLING, ""
            reason = (f"cool-down: the last run ended at {current.get('finished_at')}, less than {cooldown_hours:g} h ago: "
                      "recorded, not started")
        return self.record(event_key, outcome, reason, trigger, run_id=run, now=moment)

    def record(self, event_key: str, outcome: str, reason: str, trigger: dict[str, Any], *, run_id: str = "",
               now: datetime | None = None) -> Begun:
        """A trigger that starts nothing (busy, cool-down, a setting): in the history once per event."""
        at = record_time(now or utc_now())
        try:
            self.dynamodb.transact_write_items(TransactItems=[
                self._event(event_key, run_id or "-", at),
                self._history(at, run_id or event_key, "trigger", outcome, reason, {"trigger": trigger}),
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"TransactionCanceledException", "ConditionalCheckFailedException"}:
                raise
            return Begun(DUPLICATE, "", f"event {event_key} was already recorded")
        return Begun(outcome, run_id, reason)

    def finish(self, run_id: str, outcome: str, reason: str, details: dict[str, Any] | None = None,
               now: datetime | None = None) -> bool:
        """Release the lock held by ``run_id`` and record its outcome; False if it was already finished.

        Only an outcome in :data:`COOLING_OUTCOMES` moves ``finished_at`` (the cool-down's start)."""
        at = record_time(now or utc_now())
        cooling = ", finished_at = :at" if outcome in COOLING_OUTCOMES else ""
        try:
            self.dynamodb.transact_write_items(TransactItems=[
                {"Update": {"TableName": self.table, "Key": LOCK,
                            "UpdateExpression": f"SET #state = :idle, ended_at = :at, outcome = :outcome{cooling}",
                            "ConditionExpression": "run_id = :run AND #state = :running",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {":idle": {"S": IDLE}, ":at": {"S": at}, ":outcome": {"S": outcome},
                                                          ":run": {"S": run_id}, ":running": {"S": RUNNING}}}},
                self._history(at, run_id, "outcome", outcome, reason, details or {}),
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"TransactionCanceledException", "ConditionalCheckFailedException"}:
                raise
            return False
        return True

    def recent(self, limit: int = 20) -> list[Entry]:
        """History, newest first."""
        response = self.dynamodb.query(TableName=self.table, KeyConditionExpression="pk = :h",
                                       ExpressionAttributeValues={":h": {"S": "retraining-history"}},
                                       ScanIndexForward=False, Limit=limit)
        out = []
        for item in response.get("Items", []):
            out.append(Entry(at=item["at"]["S"], kind=item["kind"]["S"], outcome=item["outcome"]["S"], run_id=item["run_id"]["S"],
                             reason=item["reason"]["S"], details=details_from_cell(item.get("details"))))
        return out

    def outcome_of(self, run_id: str) -> Entry | None:
        for entry in self.recent(limit=200):
            if entry.run_id == run_id and entry.kind == "outcome":
                return entry
        return None

    def _seen(self, event_key: str) -> bool:
        key = {"pk": {"S": "retraining-event"}, "sk": {"S": event_key}}
        return "Item" in self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)

    def _event(self, event_key: str, run_id: str, at: str) -> dict[str, Any]:
        item = {"pk": {"S": "retraining-event"}, "sk": {"S": event_key}, "run_id": {"S": run_id}, "at": {"S": at}}
        return {"Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    def _history(self, at: str, run_id: str, kind: str, outcome: str, reason: str, details: dict[str, Any]) -> dict[str, Any]:
        item = {"pk": {"S": "retraining-history"}, "sk": {"S": f"{at}#{kind}#{run_id}"}, "at": {"S": at}, "kind": {"S": kind},
                "outcome": {"S": outcome}, "run_id": {"S": run_id}, "reason": {"S": reason[:2000]},
                "details": details_to_map(details)}
        return {"Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
