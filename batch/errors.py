"""Errors of a batch run. Raised in a step, they fail the Lambda invocation, so the state
machine's Retry and Catch see them by name (``errorType``)."""

from lightship.errors import LightshipError


class NoLiveModel(LightshipError):
    """No version is live in the deployment record: nothing to score with."""


class ChunkFailed(LightshipError):
    """A chunk could not be scored (after the state machine's retries this fails the run)."""


class IncompleteRun(LightshipError):
    """Finalize found a chunk without its result, or rows that do not add up: the day is not whole."""


class IdentityMismatch(IncompleteRun):
    """The rows a run wrote are not exactly the rows its input holds: a row scored twice, a row
    never scored, or a chunk that read other rows than the plan cut for it."""
