"""Carry out a rollback: rewrite the deployment record, reject the failed version, tell people.

:class:`Rollbacker` takes its collaborators (the record, the registry, an SNS client
and the alerts topic) from the caller, so the rollback Lambda, ``lightship rollback``
and the tests share one code path. ``on_alarm`` follows :func:`~lightship.rollback.decision.decide`;
``by_hand`` does what a person asked for. The record is written first (it restores
service: serving picks it up within its cache TTL, no redeploy), conditional on the
revision read, so two alarms racing cannot both roll back; then the failed version is
marked Rejected with the reason; then the alerts topic hears what happened.

What can fail after the record is written, and what then happens:

* the registry's reject call fails (throttled, denied, unreachable): the rollback stands and
  is announced with the rejection still owed (``Outcome.pending``); the handler then fails
  the invocation, so Lambda delivers the alarm again, and that delivery (ignored, since the
  record moved on) completes the rejection and announces it;
* the process dies between the two (a timeout): the same next delivery completes it;
* the alerts topic cannot be published to: the failure is logged with the full message and
  ``Outcome.notified`` is False; nothing is undone or retried, so nothing is done twice.

A completed rejection is never repeated: it happens only while the version is still Approved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from lightship.deployment.record import Deployment, DeploymentRecord, RecordConflict
from lightship.deployment.release_state import release_of
from lightship.deployment.retry import AGAIN, ATTEMPTS, Change, Done, Step, retry_transition
from lightship.deployment.transition import CHANGES_LIVE, Action, TransitionRefused, VersionRef, in_release_message
from lightship.errors import LightshipError, RegistryError
from lightship.monitoring.alarm_events import ALARM, AlarmStateChange
from lightship.registry.model_registry import APPROVED, REJECTED, ModelRegistry
from lightship.release import controller
from lightship.rollback.candidate import judge_candidate_alarm
from lightship.rollback.decision import Decision, Verdict, decide, previous_approved, version_live_at

log = logging.getLogger(__name__)

ACTION = Action.ROLLBACK.value


class RollbackError(LightshipError):
    """A rollback asked for by hand that cannot be done; nothing was changed."""


class RollbackIncomplete(LightshipError):
    """The record was rolled back but the failed version could not be marked Rejected yet.

    The rollback handler raises it after logging, so the invocation fails and the alarm
    is delivered again; that delivery completes the rejection.
    """


@dataclass(frozen=True)
class Outcome:
    """What a rollback attempt did; the handler logs it and turns it into metrics."""

    verdict: Verdict
    why: str
    from_version: int | None = None
    to_version: int | None = None
    revision: int | None = None
    alarm: str | None = None
    rejected: bool = False
    notified: bool = False
    notes: list[str] = field(default_factory=list)
    pending: str | None = None  # what is still owed (the rejection) after a failed registry call

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Rollbacker:
    def __init__(
        self,
        record: DeploymentRecord,
        registry: ModelRegistry,
        sns: Any,
        alerts_topic_arn: str | None,
        *,
        clock: Callable[[], datetime] = utc_now,
        candidate_alarms: frozenset[str] = frozenset(),
    ) -> None:
        self.candidate_alarms = candidate_alarms  # alarms on Role=candidate: they abort a release, never roll back
        self.record = record
        self.registry = registry
        self.sns = sns
        self.alerts_topic_arn = alerts_topic_arn
        self.clock = clock

    # ---- on an alarm ----------------------------------------------------------------------
    def on_alarm(self, alarm: AlarmStateChange, by: str = "rollback handler") -> Outcome:
        if alarm.alarm_name in self.candidate_alarms:
            return self._on_candidate_alarm(alarm, by)

        def decide_on(live: Deployment | None) -> Step[Outcome]:
            history = self.record.history()
            approved = self._approved_versions()
            decision = decide(alarm, live, history, approved)
            release = release_of(live.release) if live is not None else None
            if release is not None and decision.verdict is not Verdict.IGNORE:
                # The live version itself is in trouble: end the release first (the candidate is not
                # to blame, so it stays Approved), then roll back as without a release.
                controller.abort(self.record, self.registry, release.id, reject=False, by=by,
                                 reason=f"live version {live.version if live else '?'} alarmed ({alarm.alarm_name}): {alarm.reason or 'no reason given'}",
                                 details={"alarm": _alarm_facts(alarm)})
                return AGAIN
            if decision.verdict is Verdict.IGNORE:
                finished = self._finish_interrupted_rejection(alarm, history)
                return Done(Outcome(
                    Verdict.IGNORE, decision.why, alarm=alarm.alarm_name, from_version=decision.failed_version,
                    rejected=finished.rejected, notified=finished.notified, notes=finished.notes, pending=finished.pending,
                ))
            if decision.verdict is Verdict.IMPOSSIBLE:
                notified = self._notify("rollback impossible", decision.why, {"alarm": _alarm_facts(alarm), "live_version": decision.failed_version})
                return Done(Outcome(Verdict.IMPOSSIBLE, decision.why, from_version=decision.failed_version, alarm=alarm.alarm_name, notified=notified))
            assert live is not None
            reason = (
                f"alarm {alarm.alarm_name} in ALARM at {alarm.changed_at.isoformat(timespec='seconds')}: "
                f"{alarm.reason or 'no reason given'}"
            )
            return self._roll_back(live, decision, reason, by, details={"alarm": _alarm_facts(alarm)}, alarm=alarm.alarm_name)

        def exhausted() -> Outcome:
            return Outcome(Verdict.IGNORE, f"the record kept changing under {ATTEMPTS} attempts; left as it is", alarm=alarm.alarm_name)

        # A refusal is a race too: a release started since the record was read; read again and decide again.
        return retry_transition(self.record, decide_on, exhausted=exhausted, retry_on=(RecordConflict, TransitionRefused))

    def _on_candidate_alarm(self, alarm: AlarmStateChange, by: str) -> Outcome:
        """A candidate alarm aborts the release it is about (weight 0, candidate Rejected); the live version is untouched.

        As for a rollback, the record is written first and the rejection second: when the registry's
        reject call fails, the abort stands and is announced with the rejection owed (``Outcome.pending``),
        and the handler fails the invocation so the next delivery of the alarm completes it.
        """
        verdict = judge_candidate_alarm(alarm, self.record.live(), self.record.history())
        if not verdict.abort or verdict.release is None:
            if alarm.new_state == ALARM:  # a redelivery after a crash between the abort and the rejection: finish it
                release = release_of((version_live_at(self.record.history(), alarm.changed_at) or _NO_ENTRY).release)
                if release is not None:
                    finished = self._finish_interrupted_abort(release.id, release.candidate_version, by)
                    return Outcome(Verdict.IGNORE, verdict.why, alarm=alarm.alarm_name, rejected=finished.rejected,
                                   notes=finished.notes, pending=finished.pending)
            return Outcome(Verdict.IGNORE, verdict.why, alarm=alarm.alarm_name)
        release = verdict.release
        reason = (f"candidate alarm {alarm.alarm_name} in ALARM at {alarm.changed_at.isoformat(timespec='seconds')}: "
                  f"{alarm.reason or 'no reason given'}")
        outcome = controller.abort(self.record, self.registry, release.id, reason=reason, by=by, reject=False,
                                   details={"alarm": _alarm_facts(alarm)})
        if not outcome.changed:  # ended meanwhile (by the machine, a person, an earlier delivery): finish its rejection
            finished = self._finish_interrupted_abort(release.id, release.candidate_version, by)
            return Outcome(Verdict.IGNORE, outcome.message, alarm=alarm.alarm_name, rejected=finished.rejected,
                           notes=finished.notes, pending=finished.pending)
        rejected, note, pending = self._reject(release.candidate_version, f"release {release.id} aborted: {reason}", by)
        live_version = outcome.deployment.version if outcome.deployment else None
        summary = (outcome.message + (f"; version {release.candidate_version} marked Rejected" if rejected else "")
                   + (f"; {pending}" if pending else ""))
        notified = self._notify(
            f"release of version {release.candidate_version} aborted",
            summary,
            {"release": release.id, "candidate_version": release.candidate_version, "live_version": live_version,
             "reason": reason, "by": by, "alarm": _alarm_facts(alarm), **({"pending": pending} if pending else {})},
        )
        return Outcome(Verdict.RELEASE_ABORTED, outcome.message, from_version=release.candidate_version, to_version=live_version,
                       revision=outcome.deployment.revision if outcome.deployment else None, alarm=alarm.alarm_name,
                       rejected=rejected, notified=notified, notes=[n for n in (note, pending) if n], pending=pending)

    def _finish_interrupted_abort(self, release_id: str, candidate_version: int, by: str) -> Outcome:
        """An aborted release whose candidate is still Approved (a crash or a failed registry call): reject it now."""
        try:
            done = controller.abort(self.record, self.registry, release_id, reason="", by=by)
        except Exception as exc:  # noqa: BLE001 - throttled, denied, unreachable: still owed, the next delivery retries
            log.exception("could not finish the aborted release %s", release_id)
            pending = (f"version {candidate_version} is still Approved: marking it Rejected failed ({_one_line(exc)}); "
                       f"the next delivery of the alarm retries it (by hand: lightship reject {candidate_version} --reason ...)")
            return Outcome(Verdict.IGNORE, "", notes=[pending], pending=pending)
        if done.rejected:
            return Outcome(Verdict.IGNORE, "", rejected=True,
                           notes=[f"completed an interrupted abort: version {candidate_version} marked Rejected"])
        return Outcome(Verdict.IGNORE, "")

    # ---- by hand ----------------------------------------------------------------------------
    def by_hand(self, *, to: int | None, reason: str, by: str, reject: bool = True) -> Outcome:
        live = self.record.live()
        if live is None:
            raise RollbackError("no version is live: there is nothing to roll back (lightship deploy N makes one live)")
        release = release_of(live.release)
        if release is not None:
            # Defined, not guessed: a person who wants the candidate gone aborts the release; the live
            # version was never replaced, so there is nothing to roll back to until it ends.
            raise RollbackError(f"cannot roll back now: {in_release_message(release)}")
        approved = self._approved_versions()
        if to is None:
            target = previous_approved(approved, live.version)
            if target is None:
                raise RollbackError(f"no Approved version older than live version {live.version}: nothing changed")
        else:
            if to == live.version:
                raise RollbackError(f"version {to} is already live")
            if to > live.version:
                raise RollbackError(f"version {to} is newer than live version {live.version}: use `lightship deploy {to}`")
            status = self.registry.version(to).status
            if status != APPROVED:
                raise RollbackError(f"version {to} is {status}, not Approved: only an Approved version can be put back")
            target = to
        decision = Decision(Verdict.ROLL_BACK, f"rollback by hand to version {target}", failed_version=live.version, target_version=target)
        change = self._roll_back(live, decision, f"by hand: {reason}", by, details={"manual": True}, reject=reject)
        try:
            written = change.write(self.record, live)
        except (RecordConflict, TransitionRefused) as exc:  # another writer was quicker (a release started: refused)
            raise RollbackError(f"the deployment record changed while rolling back (now {exc}); run the command again") from exc
        return change.then(written)

    # ---- the work ---------------------------------------------------------------------------
    def _roll_back(
        self,
        live: Deployment,
        decision: Decision,
        reason: str,
        by: str,
        *,
        details: dict[str, Any],
        alarm: str | None = None,
        reject: bool = True,
    ) -> Change[Outcome]:
        """The record's rollback from ``live`` to the decision's target; once written, ``then`` rejects and tells."""
        assert decision.target_version is not None
        target = self.registry.version(decision.target_version)
        failed = live.version
        facts = {**details, "failed_version": failed, "rolled_back_to": target.version}
        return Change(
            Action.ROLLBACK, target=VersionRef(target.version, target.arn, target.model_data_url),
            reason=reason, by=by, at=self.clock().isoformat(timespec="milliseconds"), details=facts,
            then=lambda new: self._rolled_back(new, failed, reason, by, details=details, alarm=alarm, reject=reject),
        )

    def _rolled_back(
        self, new: Deployment, failed: int, reason: str, by: str, *, details: dict[str, Any], alarm: str | None, reject: bool
    ) -> Outcome:
        log.warning("rolled back from version %s to version %s: %s", failed, new.version, reason)
        notes: list[str] = []
        rejected, pending = False, None
        if reject:
            rejected, note, pending = self._reject(failed, reason, by)
            if note:
                notes.append(note)
        why = f"rolled back from version {failed} to version {new.version}: {reason}"
        summary = why + (f"; version {failed} marked Rejected" if rejected else "") + (f"; {pending}" if pending else "")
        notified = self._notify(
            f"rolled back to version {new.version}",
            summary,
            {"from_version": failed, "to_version": new.version, "revision": new.revision, "reason": reason, "by": by,
             **details, **({"pending": pending} if pending else {})},
        )
        return Outcome(
            Verdict.ROLL_BACK,
            why,
            from_version=failed,
            to_version=new.version,
            revision=new.revision,
            alarm=alarm,
            rejected=rejected,
            notified=notified,
            notes=notes + ([pending] if pending else []),
            pending=pending,
        )

    def _reject(self, version: int, reason: str, by: str) -> tuple[bool, str | None, str | None]:
        """(rejected, note, pending): ``pending`` says what is still owed when the registry call failed."""
        try:
            self.registry.reject(version, reason, by)
        except RegistryError as exc:  # already Rejected (a person was quicker): nothing to do
            return False, str(exc), None
        except Exception as exc:  # noqa: BLE001 - throttled, denied, unreachable: the rollback stands, the rejection is owed
            log.exception("rolled back, but could not mark version %s Rejected", version)
            return False, None, (
                f"version {version} is still Approved: marking it Rejected failed ({_one_line(exc)}); "
                f"the next delivery of the alarm retries it (by hand: lightship reject {version} --reason ...)"
            )
        return True, None, None

    def _finish_interrupted_rejection(self, alarm: AlarmStateChange, history: list[Deployment]) -> Outcome:
        """If an earlier delivery rolled back but did not reject the failed version, reject it now and say so.

        The record write comes first, so a crash or a failed registry call between the two
        leaves the failed version Approved; a redelivered alarm (ignored, since the record
        moved on) completes it. Done once: only while the version is still Approved.
        """
        nothing = Outcome(Verdict.IGNORE, "")
        concerned = version_live_at(history, alarm.changed_at)
        if concerned is None:
            return nothing
        later = sorted((e for e in history if e.revision > concerned.revision and e.action in CHANGES_LIVE), key=lambda e: e.revision)
        if not later or later[0].action != ACTION or later[0].previous_version != concerned.version:
            return nothing
        step = later[0]
        if step.details_dict.get("alarm", {}).get("incident") != alarm.incident:
            return nothing
        try:
            status = self.registry.version(concerned.version).status
        except RegistryError:
            return nothing
        if status == REJECTED:
            return nothing
        rejected, note, pending = self._reject(concerned.version, step.reason, step.by)
        if not rejected:
            return Outcome(Verdict.IGNORE, "", notes=[n for n in (note, pending) if n], pending=pending)
        done = f"completed an interrupted rollback: version {concerned.version} marked Rejected"
        # The delivery that rolled back may have died before announcing it: this message says all of it.
        notified = self._notify(
            f"version {concerned.version} marked Rejected",
            f"{done} (the record was rolled back from version {concerned.version} to version {step.version} "
            f"at {step.at}, revision {step.revision}): {step.reason}",
            {"from_version": concerned.version, "to_version": step.version, "revision": step.revision, "reason": step.reason,
             "by": step.by, "completed_by": alarm.route, "alarm": _alarm_facts(alarm)},
        )
        return Outcome(Verdict.IGNORE, "", rejected=True, notified=notified, notes=[done])

    def _approved_versions(self) -> list[int]:
        return [int(arn.rsplit("/", 1)[-1]) for arn in self.registry.arns(APPROVED)]

    def _notify(self, headline: str, summary: str, facts: dict[str, Any]) -> bool:
        """Publish to the alerts topic; a failure to notify is logged, never undoes the rollback."""
        if not self.alerts_topic_arn:
            log.error("no alerts topic configured; could not announce: %s", summary)
            return False
        message = {"source": "lightship.rollback", "headline": headline, "summary": summary, **facts}
        try:
            self.sns.publish(
                TopicArn=self.alerts_topic_arn,
                Subject=f"Lightship: {headline}"[:100],
                Message=json.dumps(message, indent=2, sort_keys=True, default=str),
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "rollback"}},
            )
        except Exception:  # noqa: BLE001 - the record already changed; say we could not tell anyone
            log.exception("could not publish to %s: %s", self.alerts_topic_arn, summary)
            return False
        return True


_NO_ENTRY = Deployment(version=0, package_arn="", model_data_url="", revision=0, action="", reason="", by="", at="")


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def _alarm_facts(alarm: AlarmStateChange) -> dict[str, Any]:
    return {
        "name": alarm.alarm_name,
        "arn": alarm.alarm_arn,
        "state": alarm.new_state,
        "reason": alarm.reason,
        "changed_at": alarm.changed_at.isoformat(timespec="milliseconds"),
        "incident": alarm.incident,
        "route": alarm.route,
    }
