"""A bounded load run against the serving app under uvicorn on loopback, with faults injected mid-run.

Three versions are registered on the emulator: v1 (live at the start), v2 (its ``model.tar.gz``
replaced by garbage: it fails to load) and v3 (good). While clients keep requests in flight over
keep-alive connections, the run deploys v2, cuts the serving function off DynamoDB (the record
table) for a while, then cuts it off S3 and deploys v3 during that outage, then lets S3 back.
Each fault starts at its planned moment or, on a slow machine, once serving has met the previous
one (a load failure counted, answers given during an outage), so no window closes unseen.
Every request is recorded: when it was sent and answered, its status, the version that answered,
or the client error. Used by tests/integration/test_serving_under_faults.py (a few seconds) and
bench/serving_faults.py (longer, figures in bench/README.md).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pandas as pd

from lightship import observability as names
from lightship.clients import client
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.local.faults import ServiceOutage
from lightship.registry.model_registry import ModelRegistry
from lightship.resources import Resources
from lightship.s3uri import S3Uri
from lightship.serving.local_server import serve_in_thread
from lightship.serving.runtime import build_serving
from lightship.settings import Settings
from tests.support.models import register_trained

INSTANCE = {
    "tenure_months": 12.0,
    "monthly_spend": 70.5,
    "support_calls": 1,
    "age": None,
    "plan": "basic",
    "region": "north",
}
# When each fault starts and ends, as fractions of the run.
DEPLOY_BROKEN, RECORD_DOWN, RECORD_UP, S3_DOWN, DEPLOY_GOOD, S3_UP = 0.15, 0.30, 0.50, 0.55, 0.57, 0.75


@dataclass
class Answer:
    sent: float  # seconds since the run started
    seconds: float
    status: int | None
    version: int | None
    error: str | None = None


@dataclass
class FaultRun:
    versions: dict[str, int]  # good / broken / next
    answers: list[Answer]
    sent: int
    duration: float
    documents: list[dict[str, Any]]
    record_failed_calls: int
    s3_failed_calls: int
    capture_dropped: int
    timeline: list[tuple[float, str]] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[int | None]:
        return Counter(a.status for a in self.answers)

    @property
    def errors(self) -> list[str]:
        return [a.error for a in self.answers if a.error]

    def latency_ms(self, q: float) -> float:
        values = sorted(a.seconds * 1000 for a in self.answers if a.status is not None)
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    @property
    def median_ms(self) -> float:
        return statistics.median(a.seconds * 1000 for a in self.answers) if self.answers else float("nan")

    def metric(self, name: str, version: int) -> float:
        return metric_sum(self.documents, name, version)

    def at(self, event: str) -> float:
        """When ``event`` (a :data:`timeline` entry starting with it) happened, in seconds since the start."""
        return next(t for t, what in self.timeline if what.startswith(event))

    def answered_between(self, start: float, end: float) -> list[Answer]:
        """Answers that arrived in [start, end) seconds."""
        return [a for a in self.answers if start <= a.sent + a.seconds < end]


def metric_sum(documents: list[dict[str, Any]], name: str, version: int) -> float:
    """The sum of metric ``name`` over the EMF documents of model ``version``."""
    return sum(
        v for d in documents if d.get(names.DIMENSION_MODEL_VERSION) == str(version) and name in d for v in d[name]
    )


def run_under_faults(
    settings: Settings,
    resources: Resources,
    frame: pd.DataFrame,
    *,
    seconds: float,
    concurrency: int,
    timeout: float = 10.0,
    faults: bool = True,
    prefix: str = "faults",
) -> FaultRun:
    """The scenario; with ``faults=False`` the same load with nothing injected (the benchmark's baseline)."""
    good = register_trained(settings, resources, frame, "churned", name=f"{prefix}-good", approve=True)
    broken = register_trained(
        settings, resources, frame, "churned", params={"C": 0.5}, name=f"{prefix}-broken", approve=True
    )
    later = register_trained(
        settings, resources, frame, "churned", params={"C": 2.0}, name=f"{prefix}-next", approve=True
    )
    where = S3Uri.parse(broken.model_data_url)
    client("s3").put_object(Bucket=where.bucket, Key=where.key, Body=b"not a tarball")
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    record = DeploymentRecord(client("dynamodb"), resources.deployment_table)

    def promote(version: int, reason: str) -> None:  # the operator's clients: no outage on them
        deploy(registry, record, version, reason=reason, by="fault-run")

    promote(good.version, "start")
    dynamodb, s3 = client("dynamodb"), client("s3")
    record_outage, s3_outage = ServiceOutage(dynamodb), ServiceOutage(s3)
    tuned = settings.model_copy(
        update={"serving": settings.serving.model_copy(update={"record_ttl_seconds": 0.1, "capture_sample_rate": 0.25})}
    )
    documents: list[dict[str, Any]] = []
    serving = build_serving(tuned, dynamodb=dynamodb, s3=s3, metric_sinks=[documents.append])
    answers: list[Answer] = []
    timeline: list[tuple[float, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    sent = 0
    body = {"instances": [INSTANCE]}

    ready = threading.Semaphore(0)
    with serve_in_thread(serving.app) as url:
        started = time.perf_counter()

        def clock() -> float:
            return time.perf_counter() - started

        go = threading.Event()

        def worker() -> None:
            nonlocal sent
            with httpx.Client(base_url=url, timeout=timeout) as http:
                http.get("/v1/health")  # connected before the clock starts
                ready.release()
                go.wait()
                while not stop.is_set():
                    at = clock()
                    with lock:
                        sent += 1
                    try:
                        response = http.post("/v1/predict", json=body)
                        version = response.headers.get("x-model-version")
                        answer = Answer(at, clock() - at, response.status_code, int(version) if version else None)
                    except httpx.HTTPError as exc:
                        answer = Answer(at, clock() - at, None, None, f"{type(exc).__name__}: {exc}")
                    with lock:
                        answers.append(answer)

        threads = [threading.Thread(target=worker, name=f"load-{i}") for i in range(concurrency)]
        for thread in threads:
            thread.start()
        for _ in threads:
            ready.acquire(timeout=timeout)
        started = time.perf_counter()
        go.set()

        def load_failures(version: int) -> float:
            return metric_sum(list(documents), names.MODEL_LOAD_FAILURES, version)

        def answers_since(moment: float) -> bool:
            with lock:
                return any(a.sent + a.seconds >= moment for a in answers)

        def answered_by(version: int, since: float) -> bool:
            with lock:
                return any(a.version == version and a.sent >= since for a in answers)

        # Each step starts no earlier than its planned moment and no later than the previous step's
        # evidence: on a loaded machine a deploy can take longer than a phase, and a fault window
        # that closes before serving has met it proves nothing.
        steps: list[tuple[float, str, Callable[[], object], Callable[[float], bool]]] = [
            (
                DEPLOY_BROKEN,
                f"deployed v{broken.version} (its bundle is garbage)",
                lambda: promote(broken.version, "broken upload"),
                lambda since: load_failures(broken.version) >= 1,
            ),
            (
                RECORD_DOWN,
                "record table unreachable",
                record_outage.start,
                lambda since: record_outage.failed_calls > 0 and answers_since(since),
            ),
            (RECORD_UP, "record table back", record_outage.stop, lambda since: True),
            (S3_DOWN, "S3 unreachable", s3_outage.start, lambda since: True),
            (
                DEPLOY_GOOD,
                f"deployed v{later.version} while S3 is down",
                lambda: promote(later.version, "next"),
                lambda since: load_failures(later.version) >= 1 and answers_since(since),
            ),
            (S3_UP, "S3 back", s3_outage.stop, lambda since: answered_by(later.version, since)),
        ]
        for at, what, action, evident in steps if faults else []:
            time.sleep(max(0.0, at * seconds - clock()))
            action()
            moment = clock()
            timeline.append((moment, what))
            deadline = time.perf_counter() + timeout
            while not evident(moment) and time.perf_counter() < deadline:
                time.sleep(0.02)
        # The last phase (the new model answering) lasts at least a quarter of the run.
        time.sleep(
            max(0.0, seconds - clock(), (1 - S3_UP) * seconds - (clock() - (timeline[-1][0] if timeline else 0.0)))
        )
        stop.set()
        for thread in threads:
            thread.join(timeout=timeout + 5)
        duration = clock()
    serving.close()
    capture = serving.runtime.capture
    return FaultRun(
        versions={"good": good.version, "broken": broken.version, "next": later.version},
        answers=answers,
        sent=sent,
        duration=duration,
        documents=documents,
        record_failed_calls=record_outage.failed_calls,
        s3_failed_calls=s3_outage.failed_calls,
        capture_dropped=capture.dropped if capture else 0,
        timeline=timeline,
    )
