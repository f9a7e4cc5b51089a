"""Errors a user can act on. The CLI prints their message on one line and exits non-zero."""


class LightshipError(Exception):
    """A failure with a message written for the person who ran the command."""


class DataError(LightshipError):
    """Training or scoring data that cannot be used (missing, unparsable, wrong shape)."""


class BundleError(LightshipError):
    """A model bundle that is missing, malformed or made by another scikit-learn version."""


class RegistryError(LightshipError):
    """A registry operation that cannot be done (unknown version, wrong status)."""


class TrainingJobFailed(LightshipError):
    """The training job ended in Failed or Stopped; the message carries its reason."""


class InputChanged(LightshipError):
    """An input object was replaced or deleted after it was pinned to one version (:class:`lightship.s3io.Pin`):
    a batch run fails rather than score (or count) a file from two different versions. Raised in a
    batch step, the state machine sees it by name (``errorType``)."""
