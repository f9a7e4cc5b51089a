"""Warm in-process latency: the Lambda handler (API Gateway v2 event in, response out) vs bare ``predict_proba``.

One interleaved run per (model, batch size); each round calls, in a shuffled order:
bare ``pipeline.predict_proba`` on the ready numpy rows; the handler with capture off;
the handler with capture at the default 10 % sample rate; the handler around a model
that answers instantly (what the serving code costs by itself); and the floor, FastAPI +
Mangum around an endpoint that does nothing. The handler is what
``lambdas/serving/handler.py`` runs: Mangum (stage-aware), FastAPI, JSON parsing,
validation into schema-order rows, ``predict_proba``, the JSON response and the
request's EMF line (metrics and request log in one). A last section times validation alone: our RowEncoder vs a
pydantic model of the same schema (``schema_models.instance_model``).

    python bench/serving_latency.py [--rounds 2000] [--models logistic,hist_gradient_boosting]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from functools import partial
from typing import Any

from serving_support import (
    Context,
    FixedRecord,
    NullS3,
    http_v2_event,
    instances_from,
    silence_request_logs,
    summary,
    train_bundle,
)

from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.capture import CaptureWriter
from lightship.serving.gateway import make_handler
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
from lightship.serving.schema_models import instance_model
from lightship.serving.validation import RowEncoder


def lambda_handler(bundle: Any, capture_rate: float) -> Any:
    written: list[str] = []
    metrics = ServingMetrics(sinks=[lambda doc: written.append(json.dumps(doc))])  # serialised, as stdout would be
    holder = ModelHolder(FixedRecord(), lambda _: bundle, ttl_seconds=3600, max_instances=1000)
    holder.refresh()
    capture = CaptureWriter(NullS3(), "bench", "capture", capture_rate, max_records=10**9, max_age_seconds=10**9) if capture_rate else None
    adapter = make_handler(create_app(ServingRuntime(holder, metrics, capture, 1_000_000, 1000)))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # lambdas/serving/handler.py's shape
        try:
            return adapter(event, context)
        finally:
            metrics.flush()
            written.clear()
            if capture is not None and capture.due():
                capture._buffer.clear()

    return handler


def _framework_floor() -> Any:
    """FastAPI + Mangum around an endpoint that reads the body and answers a constant: the floor
    any FastAPI-on-Lambda handler pays (NOTES.md: ~150 µs on this machine when it is quiet)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import Response
    from mangum import Mangum

    app = FastAPI()

    @app.post("/v1/predict")
    async def predict(request: Request) -> Response:
        await request.body()
        return Response(b"{}", media_type="application/json")

    return Mangum(app, lifespan="off")


def _instant_copy(bundle: Any) -> Any:
    """The same bundle with a model that answers at once: what the handler costs by itself."""
    import dataclasses

    import numpy as np

    class Instant:
        classes_ = bundle.pipeline.classes_

        def predict_proba(self, rows: Any) -> Any:
            return np.full((len(rows), len(self.classes_)), 1.0 / len(self.classes_))

    from lightship.bundle.predictors import SklearnPredictor

    return dataclasses.replace(bundle, predictor=SklearnPredictor(Instant(), bundle.task))


def run(model: str, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    bundle, _, frame = train_bundle(model)
    results = []
    for n in sizes:
        instances = instances_from(frame, n)
        event = http_v2_event({"instances": instances})
        rows = RowEncoder(bundle.schema, 1000).encode({"instances": instances})
        pipeline = bundle.pipeline
        plain = lambda_handler(bundle, 0.0)
        captured = lambda_handler(bundle, 0.1)
        context = Context()
        assert plain(event, context)["statusCode"] == 200 and captured(event, context)["statusCode"] == 200
        instant = lambda_handler(_instant_copy(bundle), 0.0)
        floor = _framework_floor()
        calls = {
            "bare": partial(pipeline.predict_proba, rows),
            "handler": partial(plain, event, context),
            "capture": partial(captured, event, context),
            "instant": partial(instant, event, context),
            "floor": partial(floor, event, context),
        }
        samples: dict[str, list[int]] = {name: [] for name in calls}
        count = rounds if n == 1 else max(200, rounds // 4)
        for _ in range(50):  # warm-up
            for call in calls.values():
                call()
        clock = time.perf_counter_ns
        order = list(calls.items())
        shuffle = random.Random(0).shuffle
        for _ in range(count):
            shuffle(order)  # no variant always runs right after another (caches, branch predictors)
            for name, call in order:
                t0 = clock()
                call()
                samples[name].append(clock() - t0)
        bare_ns, handler_ns, capture_ns = samples["bare"], samples["handler"], samples["capture"]
        instant_stats = summary(samples["instant"])
        bare, handler, with_capture = summary(bare_ns), summary(handler_ns), summary(capture_ns)
        results.append({
            "model": model, "instances": n, "rounds": count,
            "bare_median_us": bare[0], "bare_p99_us": bare[1],
            "handler_median_us": handler[0], "handler_p99_us": handler[1],
            "capture_median_us": with_capture[0], "capture_p99_us": with_capture[1],
            "added_median_us": handler[0] - bare[0], "ratio_median": handler[0] / bare[0],
            "capture_added_median_us": with_capture[0] - handler[0],
            "instant_model_median_us": instant_stats[0],
            "framework_floor_median_us": summary(samples["floor"])[0],
        })
    return results


def validation_only(rounds: int) -> list[dict[str, Any]]:
    from pydantic import TypeAdapter

    bundle, _, frame = train_bundle("logistic", rows=2000)
    results = []
    for n in (1, 100):
        instances = instances_from(frame, n)
        payload = {"instances": instances}
        encoder = RowEncoder(bundle.schema, 1000)
        adapter: Any = TypeAdapter(list[instance_model(bundle.schema)])  # type: ignore[misc,arg-type]
        ours: list[int] = []
        theirs: list[int] = []
        clock = time.perf_counter_ns
        for _ in range(rounds):
            t0 = clock()
            encoder.encode(payload)
            t1 = clock()
            adapter.validate_python(instances)
            t2 = clock()
            ours.append(t1 - t0)
            theirs.append(t2 - t1)
        a, b = summary(ours), summary(theirs)
        results.append({"instances": n, "row_encoder_median_us": a[0], "pydantic_median_us": b[0], "pydantic_over_encoder": b[0] / a[0]})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--models", default="logistic,hist_gradient_boosting")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    silence_request_logs()
    results = [r for m in args.models.split(",") for r in run(m, [1, 100], args.rounds)]
    validation = validation_only(max(500, args.rounds // 2))
    if args.json:
        print(json.dumps({"latency": results, "validation": validation}, indent=2))
        return
    print(f"{'model':24} {'n':>4} {'bare p50/p99 µs':>18} {'handler p50/p99 µs':>20} {'added p50':>10} {'ratio':>6} "
          f"{'capture 10% adds':>17} {'handler alone':>14} {'FastAPI floor':>14}")
    for r in results:
        print(f"{r['model']:24} {r['instances']:>4} {r['bare_median_us']:>8.0f}/{r['bare_p99_us']:<9.0f} "
              f"{r['handler_median_us']:>9.0f}/{r['handler_p99_us']:<10.0f} {r['added_median_us']:>9.0f} {r['ratio_median']:>6.2f} "
              f"{r['capture_added_median_us']:>16.0f} {r['instant_model_median_us']:>14.0f} {r['framework_floor_median_us']:>14.0f}")
    print("\nvalidation only (median µs):")
    for v in validation:
        print(f"  {v['instances']:>4} instances: RowEncoder {v['row_encoder_median_us']:.1f}, pydantic model {v['pydantic_median_us']:.1f} "
              f"({v['pydantic_over_encoder']:.1f}x)")


if __name__ == "__main__":
    main()
