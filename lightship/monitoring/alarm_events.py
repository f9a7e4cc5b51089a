"""What an alarm delivers to the rollback handler, parsed into :class:`AlarmStateChange`.

Two routes reach the handler, and both carry the same facts in different shapes:

* SNS (an alarm's ``AlarmActions``): a Lambda event with ``Records[].Sns.Message``
  holding CloudWatch's alarm notification JSON (``AlarmName``, ``NewStateValue``,
  ``NewStateReason``, ``StateChangeTime``, ``Trigger`` ...);
* EventBridge: a ``"detail-type": "CloudWatch Alarm State Change"`` event with
  ``detail.alarmName`` and ``detail.state``.

The envelopes are Powertools' parser models (``SnsModel``, ``EventBridgeModel``, as AWS
documents them); what is ours is the alarm payload inside them: :class:`AlarmNotification`
(the SNS message) and :class:`AlarmDetail` (the EventBridge detail).
A bare notification (the SNS ``Message`` itself, as a dict) is accepted too, for
tests and for ``aws lambda invoke`` by hand. Anything else raises
:class:`MalformedAlarmEvent`, whose message names each field that is wrong and why; the
handler logs it and rejects the event without touching anything. Called by the rollback handler;
:func:`parse_time` also by the release checks (:mod:`lightship.release.checks`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SnsModel, SnsNotificationModel, SnsRecordModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lightship.errors import LightshipError

ALARM = "ALARM"
OK = "OK"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (ALARM, OK, INSUFFICIENT_DATA)
EVENTBRIDGE_SOURCE = "aws.cloudwatch"
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


class AlarmNotification(BaseModel):
    """CloudWatch's alarm notification, the JSON an alarm publishes to SNS (``Records[].Sns.Message``)."""

    model_config = ConfigDict(extra="allow")

    AlarmName: str
    AlarmArn: str | None = None
    NewStateValue: str
    OldStateValue: str | None = None
    NewStateReason: str = ""
    StateChangeTime: str
    Trigger: dict[str, Any] = Field(default_factory=dict)

    def change(self, route: str) -> AlarmStateChange:
        return AlarmStateChange(
            alarm_name=self.AlarmName,
            alarm_arn=self.AlarmArn,
            new_state=self.NewStateValue,
            old_state=self.OldStateValue,
            reason=self.NewStateReason,
            changed_at=self.StateChangeTime,  # type: ignore[arg-type]  # parsed by the validator
            route=route,
            trigger=self.Trigger,
        )


class AlarmState(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: str
    reason: str = ""
    timestamp: str


class AlarmDetail(BaseModel):
    """The ``detail`` of EventBridge's "CloudWatch Alarm State Change" event."""

    model_config = ConfigDict(extra="allow")

    alarmName: str
    state: AlarmState
    previousState: AlarmState | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)


class AlarmSnsNotificationModel(SnsNotificationModel):
    Message: str  # what AWS sends (Powertools also allows a model); the alarm JSON in it is parsed per record


class AlarmSnsRecordModel(SnsRecordModel):
    Sns: AlarmSnsNotificationModel


class AlarmSnsModel(SnsModel):
    """Powertools' SNS event, its messages strings (CloudWatch's alarm notifications)."""

    Records: list[AlarmSnsRecordModel]  # type: ignore[assignment]  # narrowed from Powertools' record


class AlarmEventBridgeModel(EventBridgeModel):
    """Powertools' EventBridge envelope with the alarm detail in it."""

    detail: AlarmDetail  # type: ignore[assignment]  # narrowed from Powertools' raw dict or model


def parse_alarm_event(event: Any) -> list[AlarmStateChange]:
    """Every alarm state change in ``event``; raises :class:`MalformedAlarmEvent` on anything else."""
    if not isinstance(event, dict):
        raise MalformedAlarmEvent(f"expected a JSON object, got {type(event).__name__}")
    if "Records" in event:
        return _from_sns(event)
    if "detail-type" in event:
        return [_from_eventbridge(event)]
    if "AlarmName" in event:
        return [_validated(lambda: AlarmNotification.model_validate(event).change("direct"), "the notification")]
    raise MalformedAlarmEvent("neither an SNS event (Records), an EventBridge event (detail-type) nor an alarm notification (AlarmName)")


def _from_sns(event: dict[str, Any]) -> list[AlarmStateChange]:
    if not isinstance(event["Records"], list) or not event["Records"]:
        raise MalformedAlarmEvent("Records must be a non-empty list")
    parsed = _validated(lambda: AlarmSnsModel.model_validate(event))
    return [
        _validated(lambda m=record.Sns.Message: AlarmNotification.model_validate_json(m).change("sns"), f"Records[{index}].Sns.Message")
        for index, record in enumerate(parsed.Records)
    ]


def _from_eventbridge(event: dict[str, Any]) -> AlarmStateChange:
    # Which event this is comes first: another service's event is refused as such, not field by field.
    source, detail_type = event.get("source"), event.get("detail-type")
    if (source, detail_type) != (EVENTBRIDGE_SOURCE, EVENTBRIDGE_DETAIL_TYPE):
        raise MalformedAlarmEvent(f"EventBridge event {source!r} / {detail_type!r} is not a CloudWatch alarm state change")
    parsed = _validated(lambda: AlarmEventBridgeModel.model_validate(event))
    detail = parsed.detail
    return _validated(lambda: AlarmStateChange(
        alarm_name=detail.alarmName,
        alarm_arn=parsed.resources[0] if parsed.resources else None,
        new_state=detail.state.value,
        old_state=detail.previousState.value if detail.previousState else None,
        reason=detail.state.reason,
        changed_at=detail.state.timestamp,  # type: ignore[arg-type]  # parsed by the validator
        route="eventbridge",
        trigger=detail.configuration,
    ), "detail.state")


def _validated(build: Any, where: str | None = None) -> Any:
    """``build()``, with pydantic's errors turned into one :class:`MalformedAlarmEvent` naming each field
    (``where``: the part of the event that was validated, when not the whole of it)."""
    try:
        return build()
    except ValidationError as exc:
        raise MalformedAlarmEvent("; ".join(_explain(error, where) for error in exc.errors())) from exc


def _explain(error: Any, where: str | None) -> str:
    """One pydantic error as ``<owner> has no <field>``, ``<where> is not JSON: ...`` or ``<where>: <field>: <reason>``."""
    loc, kind = list(error["loc"]), error["type"]
    reason = str(error["msg"]).removeprefix("Value error, ")
    if kind == "json_invalid":
        return f"{where} is not JSON: {(error.get('ctx') or {}).get('error', reason)}"
    if not loc and kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where} is not a JSON object"
    if kind == "missing":
        # Split at the last list index: "Records[0] has no Sns.Message" names the record and what it lacks.
        cut = max((i for i, part in enumerate(loc) if isinstance(part, int)), default=-1) + 1
        return f"{_path(loc[:cut]) or where or 'the event'} has no {'.'.join(str(p) for p in loc[cut:])}"
    return ": ".join(part for part in (where, _path(loc), reason) if part)


def _path(loc: list[Any]) -> str:
    """``["Records", 0, "Sns"]`` -> ``Records[0].Sns``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
