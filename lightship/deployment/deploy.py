"""Promotion: make an Approved registry version live by writing the deployment record.

``lightship deploy N`` and the demo call :func:`deploy`. It refuses a version that is
not Approved (the registry is the source of truth for approval, docs/architecture.md decision 3),
writes who, when and why, and on a race with another writer (an alarm's rollback, a
colleague's deploy) re-reads the record and the version's approval and tries again
(:func:`~lightship.deployment.retry.retry_transition`), so
the history stays a single line of revisions and a version rejected meanwhile never goes live.
During a release it refuses (finish the release first): the record's one writer,
:func:`~lightship.deployment.transition.transition`, says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightship.deployment.record import Deployment, DeploymentRecord, RecordConflict
from lightship.deployment.retry import ATTEMPTS, Change, Done, Step, retry_transition
from lightship.deployment.transition import Action, TransitionRefused, VersionRef
from lightship.errors import LightshipError
from lightship.registry.model_registry import APPROVED, ModelRegistry, ModelVersion

DEPLOY = Action.DEPLOY.value
ROLLBACK = Action.ROLLBACK.value


class DeploymentRefused(LightshipError):
    """The version cannot be made live (not Approved, no model data)."""


@dataclass(frozen=True)
class DeployOutcome:
    deployment: Deployment
    changed: bool  # False when the version was already live: nothing was written
    version: ModelVersion


def deploy(
    registry: ModelRegistry,
    record: DeploymentRecord,
    version: int,
    *,
    reason: str,
    by: str,
    at: str | None = None,
    attempts: int = ATTEMPTS,
) -> DeployOutcome:
    """Make ``version`` live; refuse it unless it is Approved. Idempotent when it is already live."""

    def decide(live: Deployment | None) -> Step[DeployOutcome]:
        # Checked again after a lost race: the writer that won may have been an alarm's
        # rollback that just marked this very version Rejected.
        candidate = _deployable(registry, version)
        if live is not None and live.version == version and live.model_data_url == candidate.model_data_url:
            return Done(DeployOutcome(deployment=live, changed=False, version=candidate))
        return Change(
            Action.DEPLOY, target=VersionRef(version, candidate.arn, candidate.model_data_url),
            reason=reason, by=by, at=at, details=_details(candidate),
            then=lambda written: DeployOutcome(deployment=written, changed=True, version=candidate),
        )

    def exhausted() -> DeployOutcome:
        raise RecordConflict(f"the deployment record kept changing while deploying version {version}; try again")

    try:
        return retry_transition(record, decide, exhausted=exhausted, attempts=attempts)
    except TransitionRefused as exc:  # e.g. a release is under way: say what to do instead
        raise DeploymentRefused(str(exc)) from exc


def _deployable(registry: ModelRegistry, version: int) -> ModelVersion:
    candidate = registry.version(version)
    if candidate.status != APPROVED:
        why = f" ({candidate.approval_description})" if candidate.approval_description else ""
        raise DeploymentRefused(
            f"version {version} is {candidate.status}{why}; only Approved versions can be deployed "
            f"(lightship approve {version} --reason ... first)"
        )
    if not candidate.model_data_url:
        raise DeploymentRefused(f"version {version} has no model data URL in the registry")
    return candidate


def _details(version: ModelVersion) -> dict[str, Any]:
    """What a reader of the history (and serving's ``/v1/model``) wants without opening the registry."""
    return {
        "model": version.evaluation.get("model"),
        "metrics": {k: v for k, v in version.metrics.items() if isinstance(v, (int, float))},
        "lineage": version.lineage,
    }
