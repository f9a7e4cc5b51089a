"""The embedded emulator for integration tests: one moto server per session, emptied and
provisioned again before each test, so every test starts from the stacks' resources only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lightship.local.emulator import LocalEmulator
from lightship.settings import Settings, load_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def emulator_session(settings: Settings) -> Iterator[LocalEmulator]:
    emulator = LocalEmulator(settings)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_session: LocalEmulator) -> LocalEmulator:
    emulator_session.reset()
    return emulator_session
