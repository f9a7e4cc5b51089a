"""Waiting for something to become true: the demo and the tests wait this way for the emulator's
asynchronous work (a model switch, an alarm delivered, a rollback written)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """The first truthy value ``condition()`` returns; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
