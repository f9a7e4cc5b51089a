"""The alarms watch series the serving code really emits: same namespace, metric names and dimension set.
A rename or a dropped dimension set on either side would leave an alarm watching nothing."""

from __future__ import annotations

from typing import Any

from lightship import observability as names
from lightship.monitoring.alarms import alarm_specs
from lightship.serving.metrics import ServingMetrics
from lightship.settings import Settings


def _emitted_series() -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    documents: list[dict[str, Any]] = []
    metrics = ServingMetrics(sinks=[documents.append])
    metrics.request(version=3, status=500, latency_ms=12.0, instances=1)
    metrics.count(names.PREDICTION_FAILURES, 3)
    metrics.count(names.MODEL_LOAD_FAILURES, 3)
    # A release's candidate: its canary answers and its shadow calls, and their failures.
    metrics.request(version=4, status=500, latency_ms=12.0, instances=1, role=names.ROLE_CANDIDATE)
    metrics.count(names.PREDICTION_FAILURES, 4, role=names.ROLE_CANDIDATE)
    metrics.count(names.MODEL_LOAD_FAILURES, 4, role=names.ROLE_CANDIDATE)
    metrics.count(names.SHADOW_DISAGREEMENT, 4, 0.5, role=names.ROLE_CANDIDATE, unit="None")
    metrics.flush()
    series = set()
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_names in directive["Dimensions"]:
                dims = frozenset((n, str(document[n])) for n in dimension_names)
                for metric in directive["Metrics"]:
                    series.add((directive["Namespace"], metric["Name"], dims))
    return series


def test_every_serving_alarm_metric_is_a_series_the_serving_code_emits() -> None:
    emitted = _emitted_series()
    watched = [
        (m.namespace, m.name, frozenset(m.dimensions))
        for spec in alarm_specs(Settings())
        for m in spec.metrics
        if m.namespace == names.NAMESPACE and dict(m.dimensions).get("service") == names.SERVICE_SERVING
    ]
    # 5xx, requests, latency, prediction and load failures, for the live and the candidate role; shadow
    # disagreement: written here, so an alarm dropped or moved to another series fails (not only a mismatch).
    expected = {
        ("Lightship", metric, frozenset({("service", "serving"), ("Role", role)}))
        for role in ("live", "candidate")
        for metric in ("Errors5xx", "Requests", "LatencyMs", "PredictionFailures", "ModelLoadFailures")
    } | {("Lightship", "ShadowDisagreement", frozenset({("service", "serving"), ("Role", "candidate")}))}
    assert len(watched) == 11 and set(watched) == expected
    missing = [w for w in watched if w not in emitted]
    assert missing == [], f"alarms watch series nobody emits: {missing}"
