"""Per-request EMF lines: CloudWatch metrics by model version, and the request log, in one JSON line.

Each answered predict call writes one CloudWatch Embedded Metric Format document, laid out
and validated by Powertools' EMF provider (once per version; each request fills in a copy): ``Requests`` (1), ``Errors4xx`` and
``Errors5xx`` (0 or 1, so their Average is the error rate), ``LatencyMs``,
``Instances`` and ``OutOfRangeInstances`` (instances scored with a feature outside the training
range, :mod:`lightship.bundle.row_contract`), under two dimension sets, ``{service=serving, Role, ModelVersion=N}`` (dashboards)
and ``{service=serving, Role}`` (what the alarms in :mod:`lightship.monitoring.alarms` watch),
``Role`` being ``live`` or ``candidate`` (a release's canary answers, or its shadow calls),
with the request's id, status and path as properties. CloudWatch Logs turns the line into
metrics, and Logs Insights can query it as the request log: one line per request
instead of a log line plus a metrics line (bench/README.md has the cost of each). A failed
bundle load adds ``ModelLoadFailures`` and a model that raises ``PredictionFailures``.
Names come from :mod:`lightship.observability`.

Lines go to the sinks: stdout by default (in Lambda, stdout is CloudWatch Logs); tests,
the demo and the benchmarks pass their own. Written as the request ends, so nothing is
left buffered when Lambda freezes the environment.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from lightship import observability as names

Sink = Callable[[dict[str, Any]], None]
NO_VERSION = "none"  # requests answered before any model was loaded
_REQUEST_METRICS = (
    (names.REQUESTS, "Count"),
    (names.ERRORS_4XX, "Count"),
    (names.ERRORS_5XX, "Count"),
    (names.LATENCY_MS, "Milliseconds"),
    (names.INSTANCES, "Count"),
    (names.OUT_OF_RANGE_INSTANCES, "Count"),
)


def stdout_sink(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


class ServingMetrics:
    def __init__(self, namespace: str = names.NAMESPACE, sinks: list[Sink] | None = None) -> None:
        self.namespace = namespace
        self.sinks: list[Sink] = [stdout_sink] if sinks is None else list(sinks)
        self._lock = threading.Lock()
        # One provider per version, reused: building one costs more than a whole document.
        self._providers: dict[str, AmazonCloudWatchEMFProvider] = {}
        self._templates: dict[str, dict[str, Any]] = {}

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def request(self, version: int | None, status: int, latency_ms: float, instances: int, request_id: str = "",
                flagged: int = 0, role: str = names.ROLE_LIVE) -> None:
        """Write this request's EMF line (``flagged``: instances scored out of range; ``role``: which part
        the answering version plays)."""
        key = f"{role}/{NO_VERSION if version is None else version}"
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = self._request_template(role, version)
        document = dict(template)
        document["_aws"] = {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": template["_aws"]["CloudWatchMetrics"]}
        document[names.REQUESTS] = [1.0]
        document[names.ERRORS_4XX] = [1.0 if 400 <= status < 500 else 0.0]
        document[names.ERRORS_5XX] = [1.0 if status >= 500 else 0.0]
        document[names.LATENCY_MS] = [latency_ms]
        document[names.INSTANCES] = [float(instances)]
        document[names.OUT_OF_RANGE_INSTANCES] = [float(flagged)]
        document["request_id"] = request_id
        document["status"] = status
        self._emit(document)

    def _request_template(self, role: str, version: int | None) -> dict[str, Any]:
        """Powertools builds and validates a request's document once per role and version; each request
        copies it with its own timestamp and values (a fresh build costs ~60 µs, a copy ~2 µs)."""
        with self._lock:
            provider = self._provider(version, role)
            for name, unit in _REQUEST_METRICS:
                provider.add_metric(name=name, unit=unit, value=0.0)
            provider.add_metadata("request_id", "")
            provider.add_metadata("status", 0)
            return self._take(provider)

    def count(self, name: str, version: int | None, value: float = 1.0, role: str = names.ROLE_LIVE, unit: str = "Count") -> None:
        """Write one value at once (load and prediction failures: an alarm should not wait)."""
        with self._lock:
            provider = self._provider(version, role)
            provider.add_metric(name=name, unit=unit, value=value)
            document = self._take(provider)
        self._emit(document)

    def flush(self) -> None:
        """Nothing is buffered (each document is written when recorded); kept for callers that flush at the end of an invocation."""

    def _provider(self, version: int | None, role: str) -> AmazonCloudWatchEMFProvider:
        key = f"{role}/{NO_VERSION if version is None else version}"
        provider = self._providers.get(key)
        if provider is None:
            provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=names.SERVICE_SERVING)
            provider.add_dimension(names.DIMENSION_ROLE, role)
            provider.add_dimension(names.DIMENSION_MODEL_VERSION, NO_VERSION if version is None else str(version))
            self._providers[key] = provider
        return provider

    @staticmethod
    def _take(provider: AmazonCloudWatchEMFProvider) -> dict[str, Any]:
        document: dict[str, Any] = dict(provider.serialize_metric_set())
        provider.metric_set.clear()
        provider.metadata_set.clear()
        definitions = document["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
        if ["service", names.DIMENSION_ROLE] not in definitions:
            definitions.append(["service", names.DIMENSION_ROLE])
        return document

    def _emit(self, document: dict[str, Any]) -> None:
        for sink in self.sinks:
            sink(document)
