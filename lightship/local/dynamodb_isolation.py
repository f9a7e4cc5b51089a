"""Atomic conditional writes on the emulator's DynamoDB, as DynamoDB itself guarantees.

moto checks a write's conditions and applies it without a lock, so two writes arriving at
once in the server's threads can both pass the same condition (two rollbacks both writing
revision 4: seen in tests/integration/test_rollback.py). DynamoDB serializes them: one wins,
the other is cancelled. :func:`install` wraps moto's write operations in one lock so the
emulator behaves the same; :class:`~lightship.local.emulator.LocalEmulator` calls it at start.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_lock = threading.RLock()
_installed = False


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent)."""
    global _installed
    from moto.dynamodb.models import DynamoDBBackend

    with _lock:
        if _installed:
            return
        for name in WRITES:
            original = getattr(DynamoDBBackend, name, None)
            if original is not None:
                setattr(DynamoDBBackend, name, _serialized(original))
        _installed = True


def _serialized(method: Any) -> Any:
    @functools.wraps(method)
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(self, *args, **kwargs)

    return write
