"""What starts a retraining run: a drift alert, a quality alarm, a schedule or a person.

:func:`parse` turns an event the retraining function receives into ``(event key, trigger)`` or
None (a message on the alerts topic that is not a trigger, such as a run's own alert). The key
names the event itself (the alarm and its state change time, the batch run, the schedule's
event), so the same event delivered twice is one trigger (:class:`~lightship.retraining.ledger.RunLedger`).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from lightship.settings import RetrainingSettings

DRIFT, QUALITY, SCHEDULE, PERSON = "drift", "quality", "schedule", "person"
_BATCH_RUN = re.compile(r"^Batch run (\S+) for (\S+)")


@dataclass(frozen=True)
class Trigger:
    key: str
    kind: str  # drift | quality | schedule | person
    reason: str
    ref: str  # the drift report / alarm / schedule event / person

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, "ref": self.ref}


def enabled(trigger: Trigger, settings: RetrainingSettings) -> bool:
    if trigger.kind == DRIFT:
        return settings.on_drift
    if trigger.kind == QUALITY:
        return settings.on_quality
    return True


def by_person(reason: str, who: str) -> Trigger:
    return Trigger(key=f"person:{uuid.uuid4().hex}", kind=PERSON, reason=reason or "started by hand", ref=who)


def parse(event: dict[str, Any], quality_alarm: str) -> list[Trigger]:
    """The triggers in ``event`` (an SNS delivery may hold several records)."""
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        ref = str(event.get("id") or event.get("time") or "schedule")
        return [Trigger(key=f"schedule:{ref}", kind=SCHEDULE, reason=f"scheduled run ({event.get('time', '')})", ref=ref)]
    out = []
    for record in event.get("Records", []):
        sns = record.get("Sns") or {}
        trigger = _from_message(str(sns.get("Subject") or ""), str(sns.get("Message") or ""), str(sns.get("MessageId") or ""),
                                quality_alarm)
        if trigger is not None:
            out.append(trigger)
    return out


def _from_message(subject: str, message: str, message_id: str, quality_alarm: str) -> Trigger | None:
    try:
        alarm = json.loads(message)
    except json.JSONDecodeError:
        alarm = None
    if isinstance(alarm, dict) and "AlarmName" in alarm:
        if alarm["AlarmName"] != quality_alarm or alarm.get("NewStateValue") != "ALARM":
            return None
        at = str(alarm.get("StateChangeTime") or message_id)
        return Trigger(key=f"alarm:{alarm['AlarmName']}:{at}", kind=QUALITY,
                       reason=f"quality alarm {alarm['AlarmName']}: {alarm.get('NewStateReason', '')}"[:500], ref=alarm["AlarmName"])
    if subject.startswith("Lightship batch ") and ": drift in " in subject:
        match = _BATCH_RUN.match(message)
        run = match.group(1) if match else message_id
        report = next((line.split("Report: ", 1)[1] for line in message.splitlines() if line.startswith("Report: ")), "")
        return Trigger(key=f"drift:{run}", kind=DRIFT, reason=subject, ref=report or run)
    return None
