"""The one way the deployment record changes: :func:`transition`, with an :class:`Action`.

Deploy, rollback, and a release's start, step, promote and abort all call it. It checks
that the change is allowed from the record as read (:func:`check`: e.g. no deploy while
a release is under way), builds the next entry (revision + 1, who, when, why) and writes
it conditionally on the revision read, with its history item, in one transaction
(:meth:`~lightship.deployment.record.DeploymentRecord.write`). A lost race raises
:class:`~lightship.deployment.record.RecordConflict`; callers re-read and decide again,
which is what makes a redelivered event a no-op.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lightship.deployment.record import Deployment, DeploymentRecord, record_time
from lightship.deployment.release_state import Release, release_of
from lightship.errors import LightshipError


class Action(str, Enum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    RELEASE_START = "release_start"
    RELEASE_STEP = "release_step"
    RELEASE_PROMOTE = "release_promote"
    RELEASE_ABORT = "release_abort"


# The actions that put another version live; the others leave the live version as it is.
CHANGES_LIVE = frozenset({Action.DEPLOY.value, Action.ROLLBACK.value, Action.RELEASE_PROMOTE.value})
RELEASE_ACTIONS = frozenset({Action.RELEASE_STEP, Action.RELEASE_PROMOTE, Action.RELEASE_ABORT})


class TransitionRefused(LightshipError):
    """The record is not in a state where this change is allowed; nothing was written."""


@dataclass(frozen=True)
class VersionRef:
    """A registry version as the record names it."""

    version: int
    package_arn: str
    model_data_url: str


def in_release_message(release: Release) -> str:
    return (
        f"{release.describe()} is under way; finish it first: `lightship release promote` makes version "
        f"{release.candidate_version} live, `lightship release abort --reason ...` keeps the live version"
    )


def check(current: Deployment | None, action: Action, *, target: VersionRef | None, release: Release | None,
          release_id: str | None) -> None:
    """Raise :class:`TransitionRefused` unless ``action`` may follow ``current``."""
    under_way = release_of(current.release) if current is not None else None
    if action in (Action.DEPLOY, Action.ROLLBACK):
        if target is None:
            raise TransitionRefused(f"{action.value} needs the version to make live")
        if under_way is not None:
            raise TransitionRefused(f"cannot {action.value} now: {in_release_message(under_way)}")
        if action is Action.ROLLBACK and current is None:
            raise TransitionRefused("no version is live: there is nothing to roll back")
        return
    if current is None:
        raise TransitionRefused("no version is live: `lightship deploy N` first; a release needs a live version to compare with")
    if action is Action.RELEASE_START:
        if under_way is not None:
            raise TransitionRefused(f"one release at a time: {in_release_message(under_way)}")
        if release is None:
            raise TransitionRefused("release_start needs the release")
        if release.candidate_version == current.version:
            raise TransitionRefused(f"version {current.version} is already live: nothing to release")
        return
    if under_way is None:
        raise TransitionRefused("no release is under way")
    if release_id is not None and under_way.id != release_id:
        raise TransitionRefused(f"release {release_id} is over; release {under_way.id} is under way")
    if action is Action.RELEASE_STEP and release is None:
        raise TransitionRefused("release_step needs the release's next state")


def transition(
    record: DeploymentRecord,
    current: Deployment | None,
    action: Action,
    *,
    reason: str,
    by: str,
    at: str | None = None,
    target: VersionRef | None = None,
    release: Release | None = None,
    release_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> Deployment:
    """Write the change ``action`` makes to ``current`` (the record as read); returns the new entry.

    ``target``: the version a deploy or rollback makes live. ``release``: the release state
    a start or step writes. ``release_id``: the release a step, promote or abort is about
    (refused if another is under way). A promote makes the release's candidate live and
    clears the release; an abort clears it, leaving the live version as it was.
    """
    check(current, action, target=target, release=release, release_id=release_id)
    under_way = release_of(current.release) if current is not None else None
    if action is Action.RELEASE_PROMOTE:
        assert under_way is not None
        target = VersionRef(under_way.candidate_version, under_way.candidate_package_arn, under_way.candidate_model_data_url)
    facts = dict(details or {})
    if action in RELEASE_ACTIONS and under_way is not None:
        facts.setdefault("release", json.loads(under_way.to_json()))
    if target is not None:
        version, package_arn, model_data_url = target.version, target.package_arn, target.model_data_url
        previous = current.version if current is not None else None
    else:
        assert current is not None
        version, package_arn, model_data_url = current.version, current.package_arn, current.model_data_url
        previous = current.previous_version
        # The live version's own facts (model, lineage) stay with it while a release passes by.
        facts = {**current.details_dict, **facts}
    new = Deployment(
        version=version,
        package_arn=package_arn,
        model_data_url=model_data_url,
        revision=(current.revision + 1) if current is not None else 1,
        action=action.value,
        reason=reason,
        by=by,
        at=record_time(at or None),  # one format, whoever wrote it
        previous_version=previous,
        details=json.loads(json.dumps(facts, sort_keys=True, default=str)),
        release=release.to_json() if release is not None and action in (Action.RELEASE_START, Action.RELEASE_STEP) else None,
    )
    return record.write(new, current.revision if current is not None else None)
