"""The record, the registry and the alerts topic on moto in process (see tests/support/record_world.py)."""

from tests.support.record_world import world  # noqa: F401 - the fixture
