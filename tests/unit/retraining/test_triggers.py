"""Which events start a retraining run, and the key that makes the same event count once."""

from __future__ import annotations

import json

from lightship.retraining import triggers
from lightship.settings import RetrainingSettings

ALARM = "lightship-quality-realized"


def sns(subject: str, message: str, message_id: str = "m-1") -> dict[str, object]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Subject": subject, "Message": message, "MessageId": message_id}}]}


def test_a_quality_alarm_going_to_alarm_is_a_trigger_keyed_by_its_state_change() -> None:
    body = json.dumps({"AlarmName": ALARM, "NewStateValue": "ALARM", "NewStateReason": "QualityBreach=1", "StateChangeTime": "2027-06-10T05:00:00"})
    [t] = triggers.parse(sns("ALARM: quality", body, "a"), ALARM)
    [again] = triggers.parse(sns("ALARM: quality", body, "b"), ALARM)  # delivered again: another message id
    assert (t.kind, t.key, t.ref) == ("quality", f"alarm:{ALARM}:2027-06-10T05:00:00", ALARM) and again.key == t.key
    assert "QualityBreach=1" in t.reason


def test_an_alarm_back_to_ok_or_another_alarm_is_not_a_trigger() -> None:
    ok = json.dumps({"AlarmName": ALARM, "NewStateValue": "OK", "StateChangeTime": "t"})
    other = json.dumps({"AlarmName": "lightship-error-rate", "NewStateValue": "ALARM", "StateChangeTime": "t"})
    assert triggers.parse(sns("OK", ok), ALARM) == [] and triggers.parse(sns("ALARM", other), ALARM) == []


def test_a_batch_drift_alert_is_a_trigger_keyed_by_its_run_and_a_quiet_batch_is_not() -> None:
    message = "Batch run 2027-06-10-ab12 for 2027-06-10 with model v2.\nRows in 10, scored 10, rejected 0.\nReport: s3://b/r.html"
    [t] = triggers.parse(sns("Lightship batch 2027-06-10: drift in tenure_months", message), ALARM)
    assert (t.kind, t.key, t.ref) == ("drift", "drift:2027-06-10-ab12", "s3://b/r.html")
    assert triggers.parse(sns("Lightship batch 2027-06-10: no drift", message), ALARM) == []


def test_the_runs_own_alerts_are_not_triggers() -> None:
    assert triggers.parse(sns("lightship retraining failed", "Retraining run r: ..."), ALARM) == []


def test_a_schedule_event_is_a_trigger_keyed_by_its_event_id() -> None:
    [t] = triggers.parse({"source": "aws.events", "detail-type": "Scheduled Event", "id": "e-1", "time": "2027-01-01T06:00:00Z"}, ALARM)
    assert (t.kind, t.key) == ("schedule", "schedule:e-1")


def test_settings_turn_drift_and_quality_triggers_on_and_a_person_always_counts() -> None:
    off = RetrainingSettings()
    on = RetrainingSettings(on_drift=True, on_quality=True)
    drift = triggers.Trigger("k", triggers.DRIFT, "r", "x")
    quality = triggers.Trigger("k", triggers.QUALITY, "r", "x")
    person = triggers.by_person("why", "me")
    assert not triggers.enabled(drift, off) and not triggers.enabled(quality, off) and triggers.enabled(person, off)
    assert triggers.enabled(drift, on) and triggers.enabled(quality, on)
    assert person.key != triggers.by_person("why", "me").key  # two runs by hand are two events
