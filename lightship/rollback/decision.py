"""Whether an alarm rolls the live model back, and to which version: pure logic, no AWS.

The alarms watch the serving function as a whole (its metrics without the version
dimension), so an alarm names no version. The version it is about is the one the
deployment record had live when the alarm changed state: the newest history entry
written at or before ``changed_at``. That one rule makes the handler safe:

* the same alarm delivered twice (SNS and EventBridge retry): after the first
  rollback the live version is no longer the one the alarm was about -> nothing;
* a second alarm of the same incident (latency after errors): the same -> nothing;
* an alarm about a version that was replaced since (by a deploy, a rollback or a
  release's promotion) -> nothing. A release's start, steps and abort do not replace the
  live version, so an alarm during a release is still about it.

And one more keeps it from walking back through history on its own: when the live
version was itself put back by a rollback, a new alarm does not roll back further
(the trouble is probably not the model); it is reported loudly for a person to decide.
Called by :mod:`lightship.rollback.rollback`; tested in ``tests/unit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from lightship.deployment.record import Deployment
from lightship.deployment.transition import CHANGES_LIVE, Action
from lightship.monitoring.alarm_events import ALARM, AlarmStateChange, parse_time


class Verdict(str, Enum):
    ROLL_BACK = "rolled_back"
    RELEASE_ABORTED = "release_aborted"  # a candidate alarm (or a live alarm during a release) ended the release
    IGNORE = "ignored"
    IMPOSSIBLE = "impossible"  # something should be done, but nothing safe can be: report loudly


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    why: str
    failed_version: int | None = None
    target_version: int | None = None


def version_live_at(history: list[Deployment], moment: datetime) -> Deployment | None:
    """The record entry in force at ``moment`` (``history`` in any order)."""
    in_force = [entry for entry in history if _at(entry) <= moment]
    return max(in_force, key=lambda entry: entry.revision) if in_force else None


def moved_on(history: list[Deployment], concerned: Deployment) -> Deployment | None:
    """The first change after ``concerned`` that put another version live (release steps and aborts do not)."""
    later = sorted((e for e in history if e.revision > concerned.revision and e.action in CHANGES_LIVE), key=lambda e: e.revision)
    return later[0] if later else None


def made_live(history: list[Deployment], live: Deployment) -> Deployment:
    """The change that put the live version live (a release passing by does not count)."""
    changes = [e for e in history if e.revision <= live.revision and e.action in CHANGES_LIVE]
    return max(changes, key=lambda e: e.revision) if changes else live


def previous_approved(approved_versions: list[int], live_version: int) -> int | None:
    """The newest Approved version older than the live one (never the live one itself)."""
    older = [v for v in approved_versions if v < live_version]
    return max(older) if older else None


def decide(alarm: AlarmStateChange, live: Deployment | None, history: list[Deployment], approved_versions: list[int]) -> Decision:
    """What to do about ``alarm`` given the record (``live``, its ``history``) and the registry's Approved versions."""
    if alarm.new_state != ALARM:
        return Decision(Verdict.IGNORE, f"alarm {alarm.alarm_name} went to {alarm.new_state}, not ALARM")
    if live is None:
        return Decision(Verdict.IGNORE, "no version is live: there is nothing to roll back")
    concerned = version_live_at(history, alarm.changed_at)
    if concerned is None:
        return Decision(
            Verdict.IGNORE,
            f"alarm {alarm.alarm_name} changed state at {_iso(alarm.changed_at)}, before any version was deployed",
        )
    if concerned.version != live.version or moved_on(history, concerned) is not None:
        return Decision(
            Verdict.IGNORE,
            f"alarm {alarm.alarm_name} at {_iso(alarm.changed_at)} concerns version {concerned.version} "
            f"(record revision {concerned.revision}); the record has moved on to version {live.version} "
            f"(revision {live.revision}, {live.action} at {live.at}): already handled or superseded",
            failed_version=concerned.version,
        )
    since = made_live(history, live)
    if since.action == Action.ROLLBACK.value:
        return Decision(
            Verdict.IMPOSSIBLE,
            f"alarm {alarm.alarm_name} fired while version {live.version} is live, which a rollback put back at "
            f"{since.at}; not rolling back further automatically: the fault may not be the model. "
            "Investigate, then run `lightship rollback --to N` or `lightship deploy N`",
            failed_version=live.version,
        )
    target = previous_approved(approved_versions, live.version)
    if since.action == Action.RELEASE_PROMOTE.value and since.previous_version in approved_versions:
        target = since.previous_version  # a promoted release goes back to what it replaced
    if target is None:
        return Decision(
            Verdict.IMPOSSIBLE,
            f"alarm {alarm.alarm_name} is about live version {live.version}, but no Approved version older than it "
            f"exists: nothing changed, version {live.version} keeps serving",
            failed_version=live.version,
        )
    return Decision(
        Verdict.ROLL_BACK,
        f"alarm {alarm.alarm_name} is about live version {live.version}: rolling back to version {target}",
        failed_version=live.version,
        target_version=target,
    )


def _at(entry: Deployment) -> datetime:
    try:
        return parse_time(entry.at)
    except (ValueError, TypeError):
        # An entry without a readable time cannot be placed: treat it as very old.
        return datetime.min.replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
