"""A release's operations on the deployment record: start, set a step, promote, abort.

Every caller goes through these: ``lightship release ...``, the release state machine's
function (``lambdas/release/handler.py``) and the alarm path
(:mod:`lightship.rollback.candidate`). Each reads the record, decides, and writes through
:func:`~lightship.deployment.transition.transition`; a lost race re-reads and decides
again (:func:`~lightship.deployment.retry.retry_transition`), so the same request twice (a retried Lambda, an alarm delivered by SNS and by
EventBridge, a person pressing promote while an alarm aborts) changes the record once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from lightship.deployment.record import Deployment, DeploymentRecord
from lightship.deployment.release_state import CANARY, SHADOW, Mode, Release, release_of
from lightship.deployment.retry import Change, Done, Step, retry_transition
from lightship.deployment.transition import Action, TransitionRefused
from lightship.errors import LightshipError, RegistryError
from lightship.registry.model_registry import APPROVED, REJECTED, ModelRegistry
from lightship.settings import ReleaseSettings


class ReleaseRefused(LightshipError):
    """The release operation is not possible now; the message says why and what to do."""


class CandidateNotApproved(ReleaseRefused):
    """The candidate lost its approval during the release (someone rejected it): it is never promoted."""


@dataclass(frozen=True)
class Plan:
    mode: Mode
    steps: tuple[float, ...]
    bake_seconds: float
    min_requests: int
    max_holds: int


@dataclass(frozen=True)
class ReleaseOutcome:
    changed: bool  # False: nothing was written (already done, or the release was over)
    message: str
    deployment: Deployment | None = None
    release: Release | None = None
    rejected: bool = False


def utc_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def parse_bake(text: str) -> float:
    """``10m``, ``90s``, ``1h`` or a number of minutes, to seconds."""
    value = text.strip().lower()
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    try:
        if value and value[-1] in units:
            seconds = float(value[:-1]) * units[value[-1]]
        else:
            seconds = float(value) * 60.0
    except ValueError:
        raise ReleaseRefused(f"--bake {text!r}: expected a duration such as 10m, 90s or 1h") from None
    if seconds < 0:
        raise ReleaseRefused(f"--bake {text!r}: a duration cannot be negative")
    return seconds


def make_plan(
    settings: ReleaseSettings,
    *,
    shadow: bool = False,
    canary: float | None = None,
    steps: list[float] | None = None,
    bake_seconds: float | None = None,
    sample: float | None = None,
) -> Plan:
    """The release plan from the command's options over the settings' defaults; refuses nonsense in one line."""
    bake = settings.bake_minutes * 60.0 if bake_seconds is None else bake_seconds
    if shadow:
        if canary is not None or steps:
            raise ReleaseRefused("--shadow cannot be combined with --canary or --steps: a shadow answers no request")
        rate = settings.shadow_sample_rate if sample is None else sample
        if not 0.0 < rate <= 1.0:
            raise ReleaseRefused(f"--sample {rate:g}: expected a share of requests in (0, 1]")
        return Plan(SHADOW, (rate * 100.0,), bake, settings.min_requests, settings.max_holds)
    if sample is not None:
        raise ReleaseRefused("--sample applies to --shadow only")
    if canary is not None and steps:
        raise ReleaseRefused("give --canary P (one step) or --steps a,b,c, not both")
    weights = [canary] if canary is not None else (steps or list(settings.steps))
    if not weights:
        raise ReleaseRefused("a canary needs at least one step")
    for weight in weights:
        if not 0.0 < weight <= 100.0:
            raise ReleaseRefused(f"step {weight:g} %: a canary weight is a percentage in (0, 100]")
    if any(b <= a for a, b in zip(weights, weights[1:])):
        raise ReleaseRefused(f"steps {','.join(f'{w:g}' for w in weights)}: each step must send more traffic than the one before")
    return Plan(CANARY, tuple(float(w) for w in weights), bake, settings.min_requests, settings.max_holds)


def new_release_id(version: int, now: datetime | None = None) -> str:
    """Also the state machine execution's name: letters, digits and dashes, unique per start."""
    moment = now or datetime.now(timezone.utc)
    return f"v{version}-{moment:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def start(
    registry: ModelRegistry,
    record: DeploymentRecord,
    version: int,
    plan: Plan,
    *,
    reason: str,
    by: str,
    release_id: str | None = None,
) -> ReleaseOutcome:
    """Write the release into the record at weight 0 (the state machine sets each step's weight)."""
    candidate = registry.version(version)
    if candidate.status != APPROVED:
        why = f" ({candidate.approval_description})" if candidate.approval_description else ""
        raise ReleaseRefused(f"version {version} is {candidate.status}{why}; only Approved versions can be released")
    if not candidate.model_data_url:
        raise ReleaseRefused(f"version {version} has no model data URL in the registry")
    rid = release_id or new_release_id(version)

    def decide(live: Deployment | None) -> Step[ReleaseOutcome]:
        under_way = release_of(live.release) if live is not None else None
        if under_way is not None and under_way.id == rid:
            return Done(ReleaseOutcome(False, f"release {rid} is already under way", live, under_way))
        at = utc_iso()
        release = Release(
            id=rid, candidate_version=version, candidate_package_arn=candidate.arn,
            candidate_model_data_url=candidate.model_data_url, mode=plan.mode, steps=plan.steps, step=-1,
            bake_seconds=plan.bake_seconds, min_requests=plan.min_requests, max_holds=plan.max_holds,
            started_at=at, step_started_at=at,
        )
        return Change(Action.RELEASE_START, release=release, reason=reason, by=by, at=at,
                      details={"candidate": {"version": version, "model": candidate.evaluation.get("model")}},
                      then=lambda written: ReleaseOutcome(True, f"{release.describe()} started", written, release))

    try:
        return retry_transition(record, decide, exhausted=_kept_changing("while starting the release"))
    except TransitionRefused as exc:
        raise ReleaseRefused(str(exc)) from exc


def set_step(record: DeploymentRecord, release_id: str, step: int, *, by: str, reason: str = "") -> ReleaseOutcome:
    """Put the release's weight at ``steps[step]``; a repeat of the same step changes nothing."""

    def decide(live: Deployment | None) -> Step[ReleaseOutcome]:
        release = release_of(live.release) if live is not None else None
        if release is None or release.id != release_id:
            return Done(ReleaseOutcome(False, f"release {release_id} is over", live, release))
        if release.step == step:
            return Done(ReleaseOutcome(False, f"step {step + 1} is already in force", live, release))
        if step != release.step + 1 or step >= len(release.steps):
            raise ReleaseRefused(f"release {release_id} is at step {release.step + 1} of {len(release.steps)}; step {step + 1} cannot follow")
        at = utc_iso()
        nxt = release.at_step(step, at)
        why = reason or f"step {step + 1} of {len(release.steps)}: {nxt.weight:g} % {'to' if release.mode == CANARY else 'shadowed by'} version {release.candidate_version}"
        return Change(Action.RELEASE_STEP, release=nxt, release_id=release_id, reason=why, by=by, at=at,
                      then=lambda written: ReleaseOutcome(True, why, written, nxt))

    return retry_transition(record, decide, exhausted=_kept_changing(f"while stepping release {release_id}"))


def promote(
    record: DeploymentRecord, registry: ModelRegistry, release_id: str | None, *, reason: str, by: str
) -> ReleaseOutcome:
    """Make the candidate live; the former live version is the rollback target. A repeat changes nothing.
    The candidate must still be Approved in the registry, as :func:`~lightship.deployment.deploy.deploy`
    requires of any version it makes live (:class:`CandidateNotApproved` otherwise)."""

    def decide(live: Deployment | None) -> Step[ReleaseOutcome]:
        release = release_of(live.release) if live is not None else None
        if release is None or (release_id is not None and release.id != release_id):
            return Done(ReleaseOutcome(False, _over(record, release_id, release), live, release))
        candidate = registry.version(release.candidate_version)
        if candidate.status != APPROVED:
            why = f" ({candidate.approval_description})" if candidate.approval_description else ""
            raise CandidateNotApproved(
                f"version {candidate.version} is {candidate.status}{why}, so it cannot be promoted; "
                "end the release with lightship release abort --reason ..."
            )
        return Change(Action.RELEASE_PROMOTE, release_id=release.id, reason=reason, by=by,
                      then=lambda written: ReleaseOutcome(
                          True, f"version {release.candidate_version} is live (promoted from release {release.id}); "
                          f"version {written.previous_version} is the rollback target", written, release))

    return retry_transition(record, decide, exhausted=_kept_changing("while promoting"))


def abort(
    record: DeploymentRecord,
    registry: ModelRegistry | None,
    release_id: str | None,
    *,
    reason: str,
    by: str,
    reject: bool = True,
    details: dict[str, Any] | None = None,
) -> ReleaseOutcome:
    """Weight 0: the record keeps its live version and forgets the candidate, which is marked Rejected
    with ``reason`` when ``reject``. A repeat changes nothing (and finishes a rejection a crash left undone)."""

    def decide(live: Deployment | None) -> Step[ReleaseOutcome]:
        release = release_of(live.release) if live is not None else None
        if release is None or (release_id is not None and release.id != release_id):
            rejected = _finish_rejection(record, registry, release_id, by) if reject else False
            return Done(ReleaseOutcome(False, _over(record, release_id, release), live, release, rejected))
        return Change(Action.RELEASE_ABORT, release_id=release.id, reason=reason, by=by, details=details,
                      then=lambda written: _aborted(written, release))

    def _aborted(written: Deployment, release: Release) -> ReleaseOutcome:
        rejected = False
        if reject and registry is not None:
            try:
                registry.reject(release.candidate_version, f"release {release.id} aborted: {reason}", by)
                rejected = True
            except RegistryError:  # a person rejected it already
                rejected = False
        return ReleaseOutcome(True, f"release {release.id} aborted: version {written.version} stays live; {reason}",
                              written, release, rejected)

    return retry_transition(record, decide, exhausted=_kept_changing("while aborting"))


def _kept_changing(doing: str) -> Callable[[], ReleaseOutcome]:
    def exhausted() -> ReleaseOutcome:
        raise ReleaseRefused(f"the deployment record kept changing {doing}; try again")

    return exhausted


def ended_release(record: DeploymentRecord, release_id: str) -> Deployment | None:
    """The history entry that ended ``release_id`` (promote or abort), if it has ended."""
    for entry in record.history(limit=50):
        if entry.action in (Action.RELEASE_PROMOTE.value, Action.RELEASE_ABORT.value):
            if entry.details_dict.get("release", {}).get("id") == release_id:
                return entry
    return None


def _over(record: DeploymentRecord, release_id: str | None, current: Release | None) -> str:
    if release_id is None:
        return "no release is under way"
    ended = ended_release(record, release_id)
    if ended is not None:
        return f"release {release_id} already ended ({ended.action} at {ended.at}: {ended.reason})"
    if current is not None:
        return f"release {release_id} is not the one under way ({current.id})"
    return f"release {release_id} is not under way"


def _finish_rejection(record: DeploymentRecord, registry: ModelRegistry | None, release_id: str | None, by: str) -> bool:
    """The record says aborted but the candidate is not Rejected (a crash between the two writes): reject it now."""
    if registry is None or release_id is None:
        return False
    ended = ended_release(record, release_id)
    if ended is None or ended.action != Action.RELEASE_ABORT.value:
        return False
    version = int(ended.details_dict["release"]["candidate_version"])
    try:
        if registry.version(version).status == REJECTED:
            return False
        registry.reject(version, f"release {release_id} aborted: {ended.reason}", by)
    except RegistryError:
        return False
    return True
