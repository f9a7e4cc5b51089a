"""The record, the registry and the alerts topic on moto in process (see tests/support/record_world.py)."""

from tests.support.record_world import two_live, world  # noqa: F401 - the fixtures
