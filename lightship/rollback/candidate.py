"""Whether a candidate alarm aborts the release under way: pure logic, no AWS.

Candidate alarms (:func:`lightship.monitoring.alarms.alarm_specs`, role ``candidate``)
watch the metrics serving tags ``Role=candidate``, so they name no release. The release
an alarm is about is the one the record had under way when the alarm changed state
(the history entry in force at ``changed_at``), the same rule rollback uses for the live
version. So the same alarm delivered twice (SNS and EventBridge) aborts once: the second
finds that release over. An alarm that went off before the release started is about an
earlier one. Called by :class:`lightship.rollback.rollback.Rollbacker`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightship.deployment.record import Deployment
from lightship.deployment.release_state import Release, release_of
from lightship.monitoring.alarm_events import ALARM, AlarmStateChange
from lightship.rollback.decision import version_live_at


@dataclass(frozen=True)
class CandidateVerdict:
    abort: bool
    why: str
    release: Release | None = None


def judge_candidate_alarm(alarm: AlarmStateChange, live: Deployment | None, history: list[Deployment]) -> CandidateVerdict:
    if alarm.new_state != ALARM:
        return CandidateVerdict(False, f"alarm {alarm.alarm_name} went to {alarm.new_state}, not ALARM")
    release = release_of(live.release) if live is not None else None
    if release is None:
        return CandidateVerdict(False, f"candidate alarm {alarm.alarm_name}: no release is under way (already ended)")
    concerned = version_live_at(history, alarm.changed_at)
    then = release_of(concerned.release) if concerned is not None else None
    if then is None or then.id != release.id:
        return CandidateVerdict(
            False,
            f"candidate alarm {alarm.alarm_name} changed state at {alarm.changed_at.isoformat(timespec='seconds')}, "
            f"before release {release.id} started: it is about an earlier release",
        )
    return CandidateVerdict(
        True,
        f"candidate alarm {alarm.alarm_name} is about version {release.candidate_version} of release {release.id}: aborting",
        release,
    )
