"""What an alarm delivers to the rollback handler, parsed into :class:`AlarmStateChange`.

Two routes reach the handler, and both carry the same facts in different shapes:

* SNS (an alarm's ``AlarmActions``): a Lambda event with ``Records[].Sns.Message``
  holding CloudWatch's alarm notification JSON (``AlarmName``, ``NewStateValue``,
  ``NewStateReason``, ``StateChangeTime``, ``Trigger`` ...);
* EventBridge: a ``"detail-type": "CloudWatch Alarm State Change"`` event with
  ``detail.alarmName`` and ``detail.state``.

A bare notification (the SNS ``Message`` itself, as a dict) is accepted too, for
tests and for ``aws lambda invoke`` by hand. Anything else raises
:class:`MalformedAlarmEvent`, whose message says what is wrong; the handler logs it
and rejects the event without touching anything. Called by the rollback handler.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lightship.errors import LightshipError

ALARM = "ALARM"
OK = "OK"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (ALARM, OK, INSUFFICIENT_DATA)
EVENTBRIDGE_DETAIL_TYPE = "CloudWatch Alarm State Change"


class MalformedAlarmEvent(LightshipError):
    """The event is not an alarm state change we can read; nothing was done."""


def parse_time(value: str) -> datetime:
    """CloudWatch writes ``2026-11-23T11:52:31.123+0000``; EventBridge and Python write ISO 8601."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0000 -> +00:00
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class AlarmStateChange(BaseModel):
    """One alarm's transition, whichever route delivered it."""

    model_config = ConfigDict(frozen=True)

    alarm_name: str = Field(min_length=1)
    alarm_arn: str | None = None
    new_state: str
    old_state: str | None = None
    reason: str = ""
    changed_at: datetime
    route: str  # "sns" | "eventbridge" | "direct"
    trigger: dict[str, Any] = Field(default_factory=dict)

    @field_validator("new_state", "old_state")
    @classmethod
    def _known_state(cls, value: str | None) -> str | None:
        if value is not None and value not in STATES:
            raise ValueError(f"unknown alarm state {value!r} (expected one of {', '.join(STATES)})")
        return value

    @field_validator("changed_at", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        return parse_time(value) if isinstance(value, str) else value

    @property
    def incident(self) -> str:
        """Identifies this transition: the same alarm delivered twice has the same incident."""
        return f"{self.alarm_name}@{self.changed_at.isoformat(timespec='milliseconds')}"


class _Notification(BaseModel):
    """CloudWatch's alarm notification, the JSON an alarm publishes to SNS."""

    model_config = ConfigDict(extra="allow")

    AlarmName: str
    AlarmArn: str | None = None
    NewStateValue: str
    OldStateValue: str | None = None
    NewStateReason: str = ""
    StateChangeTime: str
    Trigger: dict[str, Any] = Field(default_factory=dict)


class _EventState(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: str
    reason: str = ""
    timestamp: str


class _EventDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    alarmName: str
    state: _EventState
    previousState: _EventState | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    detail_type: str = Field(alias="detail-type")
    source: str
    time: str | None = None
    resources: list[str] = Field(default_factory=list)
    detail: _EventDetail


def parse_alarm_event(event: Any) -> list[AlarmStateChange]:
    """Every alarm state change in ``event``; raises :class:`MalformedAlarmEvent` on anything else."""
    if not isinstance(event, dict):
        raise MalformedAlarmEvent(f"expected a JSON object, got {type(event).__name__}")
    try:
        if "Records" in event:
            return [_from_sns_record(record, index) for index, record in enumerate(_records(event))]
        if "detail-type" in event:
            return [_from_eventbridge(event)]
        if "AlarmName" in event:
            return [_from_notification(event, route="direct")]
    except ValidationError as exc:
        raise MalformedAlarmEvent(_explain(exc)) from exc
    raise MalformedAlarmEvent("neither an SNS event (Records), an EventBridge event (detail-type) nor an alarm notification (AlarmName)")


def _records(event: dict[str, Any]) -> list[Any]:
    records = event["Records"]
    if not isinstance(records, list) or not records:
        raise MalformedAlarmEvent("Records must be a non-empty list")
    return records


def _from_sns_record(record: Any, index: int) -> AlarmStateChange:
    sns = record.get("Sns") if isinstance(record, dict) else None
    if not isinstance(sns, dict) or not isinstance(sns.get("Message"), str):
        raise MalformedAlarmEvent(f"Records[{index}] has no Sns.Message string")
    try:
        message = json.loads(sns["Message"])
    except json.JSONDecodeError as exc:
        raise MalformedAlarmEvent(f"Records[{index}].Sns.Message is not JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(message, dict):
        raise MalformedAlarmEvent(f"Records[{index}].Sns.Message is not a JSON object")
    try:
        return _from_notification(message, route="sns")
    except ValidationError as exc:
        raise MalformedAlarmEvent(f"Records[{index}].Sns.Message: {_explain(exc)}") from exc


def _from_notification(message: dict[str, Any], route: str) -> AlarmStateChange:
    note = _Notification.model_validate(message)
    return AlarmStateChange(
        alarm_name=note.AlarmName,
        alarm_arn=note.AlarmArn,
        new_state=note.NewStateValue,
        old_state=note.OldStateValue,
        reason=note.NewStateReason,
        changed_at=note.StateChangeTime,  # type: ignore[arg-type]  # parsed by the validator
        route=route,
        trigger=note.Trigger,
    )


def _from_eventbridge(event: dict[str, Any]) -> AlarmStateChange:
    parsed = _Event.model_validate(event)
    if parsed.detail_type != EVENTBRIDGE_DETAIL_TYPE or parsed.source != "aws.cloudwatch":
        raise MalformedAlarmEvent(
            f"EventBridge event {parsed.source!r} / {parsed.detail_type!r} is not a CloudWatch alarm state change"
        )
    detail = parsed.detail
    return AlarmStateChange(
        alarm_name=detail.alarmName,
        alarm_arn=parsed.resources[0] if parsed.resources else None,
        new_state=detail.state.value,
        old_state=detail.previousState.value if detail.previousState else None,
        reason=detail.state.reason,
        changed_at=detail.state.timestamp,  # type: ignore[arg-type]
        route="eventbridge",
        trigger=detail.configuration,
    )


def _explain(exc: ValidationError) -> str:
    """pydantic's errors as ``field: reason`` pairs, one line."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "event"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
