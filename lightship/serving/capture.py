"""Inference capture: a sampled copy of validated inputs and their predictions, written to S3.

The request path only draws a random number and, for a sampled request, appends one
small dict to an in-memory buffer (microseconds). :class:`CaptureWriter` turns the buffer
into a JSON Lines object when it holds ``max_records`` lines or is ``max_age_seconds``
old, from the background flusher thread, never from a request (:mod:`.jsonl_buffer`). Objects land at::

    s3://<data bucket>/<capture prefix>/model_version=<N>/date=<YYYY-MM-DD>/<HHMMSS>-<uuid>.jsonl

one line per instance: ``{"prediction_id", "request_id", "role", "at", "model_version", "features": {...},
"prediction", "probabilities"}``, so drift checks on live traffic read features by name.
A failed upload is logged and dropped: capture is sampled for drift, it must never
fail or stall a prediction. At process exit what is left is flushed.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

from lightship.serving.jsonl_buffer import JsonlBuffer


class CaptureWriter(JsonlBuffer):
    what = "inference capture"

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
        super().__init__(s3, bucket, prefix, max_records=max_records, max_age_seconds=max_age_seconds)
        self.sample_rate = sample_rate
        self._rng = rng or random.Random()
        self._random = self._rng.random

    def reseed(self) -> None:
        self._rng.seed()

    def sampled(self) -> bool:
        return self.sample_rate > 0.0 and (self.sample_rate >= 1.0 or self._random() < self.sample_rate)

    def key(self, group: Any, now: datetime) -> str:
        return f"{self.prefix}/model_version={group}/date={now:%Y-%m-%d}/{now:%H%M%S}-{uuid.uuid4().hex[:12]}.jsonl"

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
        self.extend(version, lines)
