"""EMF documents by model version; capture samples at its rate and writes JSON Lines off the request path."""

from __future__ import annotations

import json
import random
from typing import Any

from lightship import observability as names
from lightship.serving.capture import CaptureWriter
from lightship.serving.metrics import ServingMetrics


class FakeS3:
    def __init__(self, fail: bool = False) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail = fail

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> None:
        if self.fail:
            raise ConnectionError("s3 unreachable")
        self.objects[f"{Bucket}/{Key}"] = Body


def test_each_request_writes_one_emf_line_with_its_version_and_request_id() -> None:
    documents: list[dict[str, Any]] = []
    metrics = ServingMetrics(sinks=[documents.append])
    metrics.request(1, 200, 2.5, 1, "r1")
    metrics.request(1, 422, 0.3, 0, "r2")
    metrics.request(2, 500, 9.0, 0, "r3")

    assert [(d[names.DIMENSION_MODEL_VERSION], d["request_id"], d["status"]) for d in documents] == [
        ("1", "r1", 200), ("1", "r2", 422), ("2", "r3", 500)]
    assert [(d[names.ERRORS_4XX], d[names.ERRORS_5XX]) for d in documents] == [([0.0], [0.0]), ([1.0], [0.0]), ([0.0], [1.0])]
    assert documents[0][names.LATENCY_MS] == [2.5] and documents[0][names.INSTANCES] == [1.0]
    for document in documents:
        definition = document["_aws"]["CloudWatchMetrics"][0]
        assert definition["Dimensions"] == [[names.DIMENSION_ROLE, names.DIMENSION_MODEL_VERSION, "service"], ["service", names.DIMENSION_ROLE]]
        assert {m["Name"] for m in definition["Metrics"]} == {names.REQUESTS, names.ERRORS_4XX, names.ERRORS_5XX, names.LATENCY_MS, names.INSTANCES, names.OUT_OF_RANGE_INSTANCES}
        assert json.loads(json.dumps(document)) == document


def test_a_reused_provider_never_carries_values_or_properties_into_the_next_line() -> None:
    documents: list[dict[str, Any]] = []
    metrics = ServingMetrics(sinks=[documents.append])
    metrics.request(3, 200, 1.0, 1, "a")
    metrics.count(names.MODEL_LOAD_FAILURES, 3)

    assert names.MODEL_LOAD_FAILURES not in documents[0]
    assert documents[1][names.MODEL_LOAD_FAILURES] == [1.0]
    assert names.REQUESTS not in documents[1] and "request_id" not in documents[1]


def test_capture_samples_at_the_configured_rate() -> None:
    writer = CaptureWriter(FakeS3(), "data", "capture", 0.1, rng=random.Random(1))
    sampled = sum(writer.sampled() for _ in range(20_000))
    assert 1800 < sampled < 2200
    assert not any(CaptureWriter(FakeS3(), "data", "capture", 0.0).sampled() for _ in range(100))


def test_capture_writes_one_json_line_per_instance_under_the_version_partition() -> None:
    s3 = FakeS3()
    writer = CaptureWriter(s3, "data", "/capture/", 1.0)
    writer.add("r1", 4, [{"a": 1.0}, {"a": None}], [0, 1], [[0.9, 0.1], [0.2, 0.8]])

    [key] = writer.flush()

    assert key.startswith("capture/model_version=4/date=") and key.endswith(".jsonl")
    lines = [json.loads(line) for line in s3.objects[f"data/{key}"].decode().splitlines()]
    assert [(x["request_id"], x["features"], x["prediction"], x["probabilities"]) for x in lines] == [
        ("r1", {"a": 1.0}, 0, [0.9, 0.1]),
        ("r1", {"a": None}, 1, [0.2, 0.8]),
    ]
    assert writer.flush() == []  # emptied


def test_capture_is_due_when_full_and_a_failed_upload_is_dropped_not_raised() -> None:
    writer = CaptureWriter(FakeS3(fail=True), "data", "capture", 1.0, max_records=3, max_age_seconds=3600)
    writer.add("r1", 1, [{"a": 1.0}] * 2, [0, 0], None)
    assert not writer.due()
    writer.add("r2", 1, [{"a": 1.0}], [0], None)
    assert writer.due() and writer.wake.is_set()

    assert writer.flush() == []
    assert writer.dropped == 3
