"""Shared by the serving benchmarks: a trained bundle in memory, the app around it, events, statistics.

Not a test helper: the benchmarks are scripts (``python bench/serving_latency.py``) that
print their figures; bench/README.md records them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the serving function sets it

from lightship.bundle.model_bundle import ModelBundle, RuntimeChoice, load_bundle, pack_bundle
from lightship.deployment.record import Deployment


def train_bundle(model: str, rows: int = 5000, seed: int = 7, runtime: RuntimeChoice = "sklearn") -> tuple[ModelBundle, bytes, Any]:
    """(bundle, model.tar.gz bytes, the training frame) for ``model`` on the generated customers table."""
    from lightship.datasets import customers
    from lightship.training.data import load_training_data
    from lightship.training.run import train, write

    frame = customers(rows=rows, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        frame.to_csv(path, index=False)
        directory = write(train(load_training_data(path, "churned"), model, {}), Path(tmp) / "model")
        packed = pack_bundle(directory)
    # Most of these benchmarks' baselines (and their recorded figures) are scikit-learn's; ONNX against
    # scikit-learn is bench/onnx_vs_sklearn.py; release_routing.py measures what serving runs (ONNX).
    return load_bundle(packed, runtime=runtime), packed, frame


def plain_value(value: Any) -> Any:
    """A frame cell as JSON would carry it: NaN and None become None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def instances_from(frame: Any, n: int, offset: int = 0) -> list[dict[str, Any]]:
    part = frame.drop(columns=["churned"]).iloc[offset : offset + n]
    return [{k: plain_value(v) for k, v in row.items()} for row in part.to_dict(orient="records")]


class FixedRecord:
    def __init__(self, version: int = 1) -> None:
        self.deployment = Deployment(version, "arn", "s3://bench/model.tar.gz", 1, "deploy", "bench", "bench", "now")

    def live(self, consistent: bool = True) -> Deployment:
        return self.deployment


class NullS3:
    def put_object(self, **_: Any) -> None:
        return None


def silence_request_logs() -> None:
    """Keep the JSON request logs (their cost is part of a request) but send them nowhere."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger("serving").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)


def http_v2_event(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/v1/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.com", "x-forwarded-proto": "https"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com", "stage": "$default",
            "http": {"method": "POST", "path": "/v1/predict", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "bench"},
            "requestId": "bench", "routeKey": "$default", "time": "", "timeEpoch": 0,
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class Context:
    function_name = "lightship-serving"
    aws_request_id = "bench-request"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lightship-serving"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def summary(samples_ns: list[int]) -> tuple[float, float]:
    """(median, p99) in microseconds."""
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) / 1000.0, p99 / 1000.0
