"""CloudWatch Logs' EMF extraction, for the emulator: turn EMF documents into ``put_metric_data``.

In AWS a function prints EMF JSON to its log and CloudWatch Logs turns each document
into metrics, one series per dimension set. moto has no such extraction, so the demo
(and tests) hand the documents the serving app emitted to :func:`publish_emf`, which
calls ``put_metric_data`` on the emulator the same way: every metric under every
dimension set of its document, all its values, at the document's timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

MAX_VALUES = 150  # put_metric_data's limit of distinct values per datum
MAX_DATA = 1000  # datums per call


def metric_data(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(namespace, MetricDatum)`` pairs for one EMF document."""
    meta = document["_aws"]
    timestamp = datetime.fromtimestamp(meta["Timestamp"] / 1000, tz=timezone.utc)
    out: list[tuple[str, dict[str, Any]]] = []
    for directive in meta["CloudWatchMetrics"]:
        for dimension_names in directive["Dimensions"]:
            dimensions = [{"Name": name, "Value": str(document[name])} for name in dimension_names]
            for metric in directive["Metrics"]:
                raw = document.get(metric["Name"])
                if raw is None:
                    continue
                values = [float(v) for v in (raw if isinstance(raw, list) else [raw])]
                for start in range(0, len(values), MAX_VALUES):
                    chunk = values[start : start + MAX_VALUES]
                    datum: dict[str, Any] = {
                        "MetricName": metric["Name"],
                        "Dimensions": dimensions,
                        "Timestamp": timestamp,
                        "Values": chunk,
                        "Counts": [1.0] * len(chunk),
                    }
                    if metric.get("Unit"):
                        datum["Unit"] = metric["Unit"]
                    out.append((directive["Namespace"], datum))
    return out


def publish_emf(cloudwatch: Any, documents: Iterable[dict[str, Any]]) -> int:
    """Publish every metric in ``documents``; returns how many datums were sent."""
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        for namespace, datum in metric_data(document):
            by_namespace.setdefault(namespace, []).append(datum)
    sent = 0
    for namespace, data in by_namespace.items():
        for start in range(0, len(data), MAX_DATA):
            batch = data[start : start + MAX_DATA]
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=batch)
            sent += len(batch)
    return sent
