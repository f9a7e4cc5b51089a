"""Read, decide, write; on a lost race read again: :func:`retry_transition`, the loop every writer of the record shares.

Deploy (:mod:`lightship.deployment.deploy`), the alarm's rollback
(:mod:`lightship.rollback.rollback`) and a release's start, step, promote and abort
(:mod:`lightship.release.controller`) each give it a ``decide(live)`` that looks at the
record as read and answers with one of:

* :class:`Done`: nothing to write (already done, or over); its result is returned as it is;
* :class:`Change`: the transition to make; when it is written, ``then(written)`` makes the result;
* :data:`AGAIN`: ``decide`` changed the record itself (a rollback first ends a release): read again.

A :class:`~lightship.deployment.record.RecordConflict` on the write (another writer was
quicker) reads the record again and decides again, so the second look sees the winner's
write; after ``attempts`` reads, ``exhausted()`` says what the caller makes of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lightship.deployment.record import Deployment, DeploymentRecord, RecordConflict
from lightship.deployment.release_state import Release
from lightship.deployment.transition import Action, VersionRef, transition

log = logging.getLogger(__name__)

ATTEMPTS = 3  # reads of the record per operation: each loser of a race gets a second and a third look

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """Nothing to write: the operation's result as the record stands."""

    result: T


@dataclass(frozen=True)
class Change(Generic[T]):
    """The transition to write over the record as read (the arguments of :func:`transition`)."""

    action: Action
    reason: str
    by: str
    then: Callable[[Deployment], T]  # the result, from the entry as written
    at: str | None = None
    target: VersionRef | None = None
    release: Release | None = None
    release_id: str | None = None
    details: dict[str, Any] | None = None

    def write(self, record: DeploymentRecord, live: Deployment | None) -> Deployment:
        return transition(
            record, live, self.action, reason=self.reason, by=self.by, at=self.at, target=self.target,
            release=self.release, release_id=self.release_id, details=self.details,
        )


class Again:
    """``decide`` wrote to the record itself: read it again and decide again."""


AGAIN = Again()

Step = Done[T] | Change[T] | Again


def retry_transition(
    record: DeploymentRecord,
    decide: Callable[[Deployment | None], Step[T]],
    *,
    exhausted: Callable[[], T],
    attempts: int = ATTEMPTS,
    retry_on: tuple[type[Exception], ...] = (RecordConflict,),
) -> T:
    """Up to ``attempts`` times: read the live entry, ``decide``, write its :class:`Change`.

    ``retry_on``: what a write may raise that means "read again" (a rollback also counts a
    refusal as a race: a release started since it read). ``exhausted`` is called when every
    attempt lost: it raises the caller's error, or returns its result.
    """
    for _ in range(attempts):
        live = record.live()
        step = decide(live)
        if isinstance(step, Done):
            return step.result
        if isinstance(step, Again):
            continue
        try:
            written = step.write(record, live)
        except retry_on as exc:
            log.warning("the deployment record changed while writing %s (%s); reading it again", step.action.value, exc)
            continue
        return step.then(written)
    return exhausted()
