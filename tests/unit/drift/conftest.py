"""The batch tests' bundle (trained once per session) and a day's rows, for the drift unit tests."""

from __future__ import annotations

# The fixtures bundle_dir, bundle and batch_frame (tests.support.batch_world, shared with the batch tests).
from tests.support.batch_world import batch_frame_fixture, bundle_dir_fixture, bundle_fixture  # noqa: F401
