"""The rollback decision without AWS: which alarm rolls back, to what, and when nothing may happen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lightship.deployment.record import Deployment
from lightship.rollback.decision import Verdict, decide, previous_approved, version_live_at
from lightship.monitoring.alarm_events import AlarmStateChange

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def entry(revision: int, version: int, minutes: int, action: str = "deploy") -> Deployment:
    return Deployment(
        version=version,
        package_arn=f"arn:aws:sagemaker:us-east-1:1:model-package/g/{version}",
        model_data_url=f"s3://b/{version}/model.tar.gz",
        revision=revision,
        action=action,
        reason="r",
        by="tests",
        at=(T0 + timedelta(minutes=minutes)).isoformat(timespec="seconds"),
    )


def alarm(minutes: int, state: str = "ALARM", name: str = "errors") -> AlarmStateChange:
    return AlarmStateChange(alarm_name=name, new_state=state, reason="too many 5xx", changed_at=T0 + timedelta(minutes=minutes), route="sns")


HISTORY = [entry(1, 1, 0), entry(2, 2, 10)]  # v1 deployed at 10:00, v2 at 10:10


def test_alarm_on_the_live_version_rolls_back_to_the_newest_older_approved_version() -> None:
    decision = decide(alarm(15), HISTORY[-1], HISTORY, approved_versions=[1, 2])
    assert decision.verdict is Verdict.ROLL_BACK
    assert (decision.failed_version, decision.target_version) == (2, 1)


def test_target_skips_versions_that_are_not_approved_and_never_picks_a_newer_one() -> None:
    history = [entry(1, 2, 0), entry(2, 5, 10)]
    assert decide(alarm(15), history[-1], history, approved_versions=[1, 3, 5, 6]).target_version == 3


def test_ok_and_insufficient_data_transitions_do_nothing() -> None:
    for state in ("OK", "INSUFFICIENT_DATA"):
        assert decide(alarm(15, state), HISTORY[-1], HISTORY, [1, 2]).verdict is Verdict.IGNORE


def test_alarm_arriving_twice_rolls_back_once() -> None:
    first = decide(alarm(15), HISTORY[-1], HISTORY, [1, 2])
    assert first.verdict is Verdict.ROLL_BACK
    after = [*HISTORY, entry(3, 1, 16, action="rollback")]
    again = decide(alarm(15), after[-1], after, [1])  # v2 is Rejected now
    assert again.verdict is Verdict.IGNORE
    assert "moved on to version 1" in again.why


def test_second_alarm_of_the_same_incident_does_not_roll_back_two_versions() -> None:
    history = [entry(1, 1, 0), entry(2, 2, 5), entry(3, 3, 10), entry(4, 2, 16, action="rollback")]
    latency = alarm(15, name="latency")  # changed state before the rollback was written
    assert decide(latency, history[-1], history, [1, 2]).verdict is Verdict.IGNORE


def test_alarm_after_a_rollback_does_not_walk_back_further_but_is_reported() -> None:
    history = [entry(1, 1, 0), entry(2, 2, 5), entry(3, 3, 10), entry(4, 2, 16, action="rollback")]
    decision = decide(alarm(30), history[-1], history, [1, 2])
    assert decision.verdict is Verdict.IMPOSSIBLE
    assert "not rolling back further" in decision.why


def test_alarm_about_a_version_replaced_since_does_nothing() -> None:
    history = [*HISTORY, entry(3, 3, 20)]  # v3 deployed after the alarm about v2
    decision = decide(alarm(15), history[-1], history, [1, 2, 3])
    assert decision.verdict is Verdict.IGNORE and decision.failed_version == 2


def test_no_earlier_approved_version_is_impossible_and_changes_nothing() -> None:
    decision = decide(alarm(15), HISTORY[-1], HISTORY, approved_versions=[2])
    assert decision.verdict is Verdict.IMPOSSIBLE and decision.target_version is None
    assert "no Approved version older than it" in decision.why


def test_nothing_live_or_alarm_before_any_deploy_does_nothing() -> None:
    assert decide(alarm(15), None, [], [1]).verdict is Verdict.IGNORE
    assert decide(alarm(-5), HISTORY[-1], HISTORY, [1, 2]).verdict is Verdict.IGNORE


def test_version_live_at_and_previous_approved() -> None:
    assert version_live_at(HISTORY, T0 + timedelta(minutes=9)).version == 1
    assert version_live_at(HISTORY, T0 + timedelta(minutes=10)).version == 2
    assert version_live_at(HISTORY, T0 - timedelta(seconds=1)) is None
    assert previous_approved([4, 1, 2], 3) == 2
    assert previous_approved([3, 4], 3) is None
