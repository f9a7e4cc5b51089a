"""Inference capture: a sampled copy of validated inputs and their predictions, written to S3.

The request path only draws a random number and, for a sampled request, appends one
small dict to an in-memory buffer (microseconds). :class:`CaptureWriter` turns the buffer
into a JSON Lines object when it holds ``max_records`` lines or is ``max_age_seconds``
old, from the background flusher thread, never from a request. Objects land at::

    s3://<data bucket>/<capture prefix>/model_version=<N>/date=<YYYY-MM-DD>/<HHMMSS>-<uuid>.jsonl

one line per instance: ``{"prediction_id", "request_id", "role", "at", "model_version", "features": {...},
"prediction", "probabilities"}``, so drift checks on live traffic read features by name.
A failed upload is logged and dropped: capture is sampled for drift, it must never
fail or stall a prediction. At process exit what is left is flushed.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from lightship.serving.logs import logger


class CaptureWriter:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        prefix: str,
        sample_rate: float,
        *,
        max_records: int = 500,
        max_age_seconds: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.sample_rate = sample_rate
        self.max_records = max_records
        self.max_age_seconds = max_age_seconds
        self._rng = rng or random.Random()
        self._random = self._rng.random
        self._lock = threading.Lock()
        self._buffer: dict[int, list[str]] = {}
        self._count = 0
        self._oldest: float | None = None
        self.written: list[str] = []  # keys written, newest last (health and tests read it)
        self.dropped = 0
        self.wake = threading.Event()

    def reseed(self) -> None:
        self._rng.seed()

    def sampled(self) -> bool:
        return self.sample_rate > 0.0 and (self.sample_rate >= 1.0 or self._random() < self.sample_rate)

    def add(
        self,
        request_id: str,
        version: int,
        instances: list[dict[str, Any]],
        predictions: list[Any],
        probabilities: list[list[float]] | None,
        ids: list[str] | None = None,
        role: str = "live",
    ) -> None:
        """Buffer one sampled request (call only when :meth:`sampled` said yes)."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = [
            json.dumps(
                {
                    "prediction_id": ids[i] if ids is not None else f"{request_id}:{i}",
                    "request_id": request_id,
                    "role": role,
                    "at": at,
                    "model_version": version,
                    "features": instance,
                    "prediction": predictions[i],
                    "probabilities": probabilities[i] if probabilities is not None else None,
                },
                separators=(",", ":"),
                allow_nan=False,
            )
            for i, instance in enumerate(instances)
        ]
        with self._lock:
            self._buffer.setdefault(version, []).extend(lines)
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
        """Upload everything buffered (one object per model version); returns the keys written."""
        with self._lock:
            buffer, self._buffer = self._buffer, {}
            self._count = 0
            self._oldest = None
        keys = []
        for version, lines in buffer.items():
            now = datetime.now(UTC)
            key = (
                f"{self.prefix}/model_version={version}/date={now:%Y-%m-%d}/"
                f"{now:%H%M%S}-{uuid.uuid4().hex[:12]}.jsonl"
            )
            try:
                self.s3.put_object(
                    Bucket=self.bucket, Key=key, Body=("\n".join(lines) + "\n").encode(), ContentType="application/x-ndjson"
                )
            except Exception as exc:  # noqa: BLE001 - capture must never take serving down
                self.dropped += len(lines)
                logger.warning("inference capture upload failed", extra={"key": key, "records": len(lines), "error": str(exc)})
                continue
            keys.append(key)
            self.written.append(key)
        return keys
