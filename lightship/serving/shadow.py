"""Shadow scoring: during a shadow release the candidate scores a sample of live requests.

The live version answers; its response is built (bytes final) before the candidate is
asked anything, so a shadow can never change it. For a sampled request,
:meth:`ShadowScorer.score` hands the request's instances to one worker thread, where the
candidate encodes them with its own schema and predicts, and waits at most
``release.shadow_deadline_ms`` for it: an exception is caught and counted (a 5xx of
``Role=candidate``), a hang past the deadline is counted as a 504 and the request goes on;
while the worker is still busy with a hung call, further samples are skipped and counted
(``ShadowSkipped``) rather than queued. Why wait at all rather than fire and forget: on
Lambda the environment is frozen as soon as the response is returned, so work left
running after it is not guaranteed to finish; the wait costs the candidate's predict time
plus a thread hand-off (bench/README.md has both figures).

Each scored request emits the candidate's request metrics (``Role=candidate``: requests,
errors, latency, so the static candidate alarms watch shadows too) and
``ShadowDisagreement`` (share of instances whose label differs from live's), and buffers
one JSON line for the shadow report (:mod:`lightship.release.report`): both versions'
predictions, per-instance agreement and |Δ probability| (regression: |Δ prediction|),
both latencies. :class:`ShadowLog` writes the lines to
``s3://<data bucket>/<release.prefix>/shadow/release=<id>/...jsonl`` from the background
flusher, never from a request. Built by :mod:`lightship.serving.runtime`; called by
:mod:`lightship.serving.app`.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lightship import observability as names
from lightship.deployment.release_state import SHADOW
from lightship.serving.jsonl_buffer import JsonlBuffer
from lightship.serving.logs import logger
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import Candidate


class ShadowLog(JsonlBuffer):
    """Buffers shadow records and writes them to S3 as JSON Lines, one object per release per flush."""

    what = "shadow record"

    def __init__(self, s3: Any, bucket: str, prefix: str, *, max_records: int = 500, max_age_seconds: float = 30.0) -> None:
        super().__init__(s3, bucket, prefix, max_records=max_records, max_age_seconds=max_age_seconds)

    def key(self, group: Any, now: datetime) -> str:
        return f"{shadow_prefix(self.prefix, str(group))}{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.jsonl"

    def add(self, release_id: str, record: dict[str, Any]) -> None:
        self.extend(release_id, [json.dumps(record, separators=(",", ":"), allow_nan=False, default=str)])


def shadow_prefix(prefix: str, release_id: str) -> str:
    """Where a release's shadow records live (the report reads them from here)."""
    return f"{prefix.strip('/')}/shadow/release={release_id}/"


@dataclass
class _Job:
    candidate: Candidate
    payload: Any
    live_version: int
    live_predictions: list[Any]
    live_probabilities: list[list[float]] | None
    request_id: str
    live_ms: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    reported: bool = False  # the request thread gave up at the deadline and counted it


@dataclass(frozen=True)
class ShadowOutcome:
    status: int  # 200, 500 (candidate raised or refused the input), 504 (past the deadline)
    candidate_ms: float | None
    disagreement: float | None


class ShadowScorer:
    def __init__(
        self,
        metrics: ServingMetrics,
        log: ShadowLog | None,
        deadline_seconds: float,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.metrics = metrics
        self.log = log
        self.deadline_seconds = deadline_seconds
        self._rng = rng or random.Random()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lightship-shadow")
        self._pending: Future[ShadowOutcome] | None = None
        self._lock = threading.Lock()
        self.skipped = 0
        self.scored = 0
        self.errors = 0

    def reseed(self) -> None:
        self._rng.seed()

    def sampled(self, candidate: Candidate | None) -> bool:
        """Whether this request is shadowed: a shadow release is under way and the draw says so."""
        if candidate is None or candidate.release.mode != SHADOW:
            return False
        return self._rng.random() * 100.0 < candidate.release.weight

    def score(
        self,
        candidate: Candidate,
        payload: Any,
        live_version: int,
        predictions: list[Any],
        probabilities: list[list[float]] | None,
        request_id: str,
        live_ms: float,
    ) -> ShadowOutcome | None:
        """Score the request's instances with the candidate, waiting at most the deadline. Never raises."""
        try:
            job = _Job(candidate, payload, live_version, predictions, probabilities, request_id, live_ms)
            with self._lock:  # requests wait for their shadows on several threads: one job at a time
                pending = self._pending
                busy = pending is not None and not pending.done()
                if busy:
                    self.skipped += 1
                else:
                    future = self._executor.submit(self._run, job)
                    self._pending = future
            if busy:
                self.metrics.count(names.SHADOW_SKIPPED, candidate.version, role=names.ROLE_CANDIDATE)
                return None
            try:
                return future.result(timeout=self.deadline_seconds)
            except FutureTimeout:
                with job.lock:
                    if not future.done():
                        job.reported = True
                if job.reported:
                    self.errors += 1
                    self.metrics.request(candidate.version, 504, self.deadline_seconds * 1000.0, 0, request_id, role=names.ROLE_CANDIDATE)
                    logger.warning("shadow candidate passed its deadline", extra={"request_id": request_id, "candidate_version": candidate.version})
                    return ShadowOutcome(504, None, None)
                return future.result()
        except Exception:  # noqa: BLE001 - the shadow must never fail the request it rides on
            logger.exception("shadow scoring failed", extra={"request_id": request_id})
            return None

    def _run(self, job: _Job) -> ShadowOutcome:
        """In the worker thread: encode with the candidate's schema, predict, compare, record."""
        model = job.candidate.model
        started = time.perf_counter()
        error: str | None = None
        predicted: list[Any] | None = None
        proba: list[list[float]] | None = None
        try:
            rows = model.encoder.encode(job.payload)
            raw_predictions, raw_probabilities = model.bundle.predict_rows(rows)
            predicted = raw_predictions.tolist()
            proba = raw_probabilities.tolist() if raw_probabilities is not None else None
        except Exception as exc:  # noqa: BLE001 - counted as the candidate's error, never the request's
            error = f"{type(exc).__name__}: {exc}"
        candidate_ms = (time.perf_counter() - started) * 1000.0
        agree, deltas = compare(job.live_predictions, job.live_probabilities, predicted, proba, classification=model.classes is not None)
        disagreement = (1.0 - sum(agree) / len(agree)) if agree else None
        with job.lock:
            late = job.reported
            if not late:
                self.scored += 1
                status = 500 if error else 200
                if error:
                    self.errors += 1
                self.metrics.request(job.candidate.version, status, candidate_ms, len(predicted or []), job.request_id,
                                     role=names.ROLE_CANDIDATE)
                if disagreement is not None:
                    self.metrics.count(names.SHADOW_DISAGREEMENT, job.candidate.version, disagreement,
                                       role=names.ROLE_CANDIDATE, unit="None")
        if self.log is not None:
            self.log.add(job.candidate.release.id, {
                "request_id": job.request_id,
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "live_version": job.live_version,
                "candidate_version": job.candidate.version,
                "instances": len(job.live_predictions),
                "live_predictions": job.live_predictions,
                "candidate_predictions": predicted,
                "agree": agree,
                "abs_delta": deltas,
                "live_ms": round(job.live_ms, 4),
                "candidate_ms": round(candidate_ms, 4),
                "error": error,
                "late": late,
            })
        return ShadowOutcome(500 if error else 200, candidate_ms, disagreement)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def compare(
    live: list[Any], live_proba: list[list[float]] | None, candidate: list[Any] | None, candidate_proba: list[list[float]] | None,
    *, classification: bool = True,
) -> tuple[list[bool], list[float]]:
    """Per instance: same label? (classification only), and |Δ| (largest |Δ probability| over the classes;
    regression: |Δ prediction|)."""
    if candidate is None or len(candidate) != len(live):
        return [], []
    agree = [a == b for a, b in zip(live, candidate)] if classification else []
    if live_proba is not None and candidate_proba is not None and all(len(a) == len(b) for a, b in zip(live_proba, candidate_proba)):
        deltas = [max(abs(x - y) for x, y in zip(a, b)) for a, b in zip(live_proba, candidate_proba)]
    elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in [*live, *candidate]):
        deltas = [abs(float(a) - float(b)) for a, b in zip(live, candidate)]
    else:
        deltas = []
    return agree, deltas
