"""Serving metrics in CloudWatch EMF, by model version, through Powertools' EMF provider.

Each scored request adds one value to ``Requests``, ``Errors4xx``, ``Errors5xx`` (0 or 1,
so the Average is the error rate), ``LatencyMs`` and ``Instances``, under two dimension
sets: ``{service=serving, ModelVersion=N}`` and ``{service=serving}`` (what the alarms in
:mod:`lightship.monitoring.alarms` watch); a failed bundle load adds ``ModelLoadFailures``
and a model that raises adds ``PredictionFailures``. Names come from
:mod:`lightship.observability`, which the alarms read too.

Values are buffered per version and written by :meth:`ServingMetrics.flush` as one EMF
document per version (a metric with several values is one EMF array): the Lambda
handler flushes after every invocation, ``lightship serve`` once a second from the
background flusher. Documents go to the sinks: stdout by default (in Lambda, stdout is
CloudWatch Logs, which turns EMF into metrics); tests, the demo and the local emulator
add their own with :meth:`add_sink`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from lightship import observability as names

Sink = Callable[[dict[str, Any]], None]
NO_VERSION = "none"  # requests refused before a model was loaded
EMF_MAX_VALUES = 99


def stdout_sink(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class ServingMetrics:
    def __init__(self, namespace: str = names.NAMESPACE, sinks: list[Sink] | None = None) -> None:
        self.namespace = namespace
        self.sinks: list[Sink] = [stdout_sink] if sinks is None else list(sinks)
        self._lock = threading.Lock()
        # version -> metric name -> (unit, values)
        self._pending: dict[str, dict[str, tuple[str, list[float]]]] = {}

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def request(self, version: int | None, status: int, latency_ms: float, instances: int) -> None:
        key = NO_VERSION if version is None else str(version)
        with self._lock:
            metrics = self._pending.setdefault(key, {})
            _add(metrics, names.REQUESTS, "Count", 1.0)
            _add(metrics, names.ERRORS_4XX, "Count", 1.0 if 400 <= status < 500 else 0.0)
            _add(metrics, names.ERRORS_5XX, "Count", 1.0 if status >= 500 else 0.0)
            _add(metrics, names.LATENCY_MS, "Milliseconds", latency_ms)
            _add(metrics, names.INSTANCES, "Count", float(instances))

    def count(self, name: str, version: int | None, value: float = 1.0) -> None:
        key = NO_VERSION if version is None else str(version)
        with self._lock:
            _add(self._pending.setdefault(key, {}), name, "Count", value)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Write what is buffered, one EMF document per model version."""
        if not self._pending:
            return
        with self._lock:
            pending, self._pending = self._pending, {}
        for version, metrics in pending.items():
            longest = max(len(values) for _, values in metrics.values())
            # EMF holds at most 100 values per metric in one document (Powertools prints by
            # itself at 100, past our sinks), so a busy second becomes several documents.
            for start in range(0, longest, EMF_MAX_VALUES):
                provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=names.SERVICE_SERVING)
                provider.add_dimension(names.DIMENSION_MODEL_VERSION, version)
                # A second dimension set without the version: the function-wide series the
                # monitoring stack's alarms watch (alarms cannot sum across versions).
                provider.add_dimensions(service=names.SERVICE_SERVING)
                for name, (unit, values) in metrics.items():
                    for value in values[start : start + EMF_MAX_VALUES]:
                        provider.add_metric(name=name, unit=unit, value=value)
                if provider.metric_set:
                    self._emit(_with_service_rollup(provider.serialize_metric_set()))

    def _emit(self, document: dict[str, Any]) -> None:
        for sink in self.sinks:
            sink(document)


def _with_service_rollup(document: Any) -> dict[str, Any]:
    """Publish under ``{service}`` as well as ``{service, ModelVersion}``: the alarms watch the
    version-less series (an alarm cannot sum across versions), dashboards the per-version one."""
    dimensions = document["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    if ["service"] not in dimensions:
        dimensions.append(["service"])
    return dict(document)


def _add(metrics: dict[str, tuple[str, list[float]]], name: str, unit: str, value: float) -> None:
    entry = metrics.get(name)
    if entry is None:
        metrics[name] = (unit, [value])
    else:
        entry[1].append(value)
