"""Lines buffered in memory and written to S3 as JSON Lines, one object per group per flush.

What inference capture (:mod:`.capture`, grouped by model version) and shadow records
(:mod:`.shadow`, grouped by release) share: a request only appends its lines under a lock
(microseconds); :meth:`JsonlBuffer.flush` uploads from the background flusher
(:mod:`.flusher`), never from a request, when :meth:`JsonlBuffer.due` says the buffer holds
``max_records`` lines or its oldest is ``max_age_seconds`` old (a full buffer sets ``wake`` so
the flusher does not wait its interval). A failed upload is logged and its lines dropped and
counted: these records are evidence about serving, they must never fail or stall a prediction.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from lightship.serving.logs import logger


class JsonlBuffer:
    """Subclasses name an object's key (:meth:`key`) and what they hold (``what``, for the log line)."""

    what = "records"

    def __init__(self, s3: Any, bucket: str, prefix: str, *, max_records: int, max_age_seconds: float) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.max_records = max_records
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._buffer: dict[Any, list[str]] = {}
        self._count = 0
        self._oldest: float | None = None
        self.written: list[str] = []  # keys written, newest last (health and tests read it)
        self.dropped = 0
        self.wake = threading.Event()

    def key(self, group: Any, now: datetime) -> str:
        raise NotImplementedError

    def extend(self, group: Any, lines: list[str]) -> None:
        with self._lock:
            self._buffer.setdefault(group, []).extend(lines)
            self._count += len(lines)
            if self._oldest is None:
                self._oldest = time.monotonic()
            full = self._count >= self.max_records
        if full:
            self.wake.set()

    def due(self) -> bool:
        oldest = self._oldest
        return self._count >= self.max_records or (oldest is not None and time.monotonic() - oldest >= self.max_age_seconds)

    def flush(self) -> list[str]:
        """Upload everything buffered (one object per group); returns the keys written."""
        with self._lock:
            buffer, self._buffer = self._buffer, {}
            self._count = 0
            self._oldest = None
        keys = []
        for group, lines in buffer.items():
            key = self.key(group, datetime.now(UTC))
            try:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=("\n".join(lines) + "\n").encode(), ContentType="application/x-ndjson")
            except Exception as exc:  # noqa: BLE001 - evidence about serving must never take serving down
                self.dropped += len(lines)
                logger.warning(f"{self.what} upload failed", extra={"key": key, "records": len(lines), "error": str(exc)})
                continue
            keys.append(key)
            self.written.append(key)
        return keys
