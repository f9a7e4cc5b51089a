"""What a release costs a request: canary routing, and shadow's added latency, against the live-only handler.

One interleaved run (each round calls every variant once, in a shuffled order), all on the
Lambda handler path (API Gateway v2 event in, response out, as ``lambdas/serving/handler.py``):

* ``live only``: no release under way (the baseline);
* ``canary 50 %``: a canary release; each request carries its own routing key, so half go
  to the candidate (the same model here, so the difference is the routing itself);
* ``shadow 100 %, in request``: every request is shadowed, the request waits for the
  candidate's answer (up to the deadline) -- what serving does;
* ``shadow 100 %, fire and forget``: deadline 0, the request does not wait (what we did
  not choose: on Lambda work left running after the response may never finish).

And the routing decision alone (``choose`` with a canary candidate), timed per call.

    python bench/release_routing.py [--rounds 3000] [--model logistic]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import time
from typing import Any

from serving_support import Context, FixedRecord, http_v2_event, instances_from, silence_request_logs, summary, train_bundle

from lightship.deployment.release_state import CANARY, SHADOW, Release
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.gateway import make_handler
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
from lightship.serving.routing import choose
from lightship.serving.shadow import ShadowScorer


def _release(mode: str, weight: float) -> Release:
    return Release(id="bench-release", candidate_version=2, candidate_package_arn="arn", candidate_model_data_url="s3://bench/candidate.tar.gz",
                   mode=mode, steps=(weight,), step=0, bake_seconds=0, min_requests=0, max_holds=0,  # type: ignore[arg-type]
                   started_at="2026-01-01T00:00:00+00:00", step_started_at="2026-01-01T00:00:00+00:00")


class ReleaseRecord(FixedRecord):
    def __init__(self, release: Release | None) -> None:
        super().__init__()
        if release is not None:
            self.deployment = dataclasses.replace(self.deployment, release=release.to_json())


def handler(bundle: Any, release: Release | None, deadline: float | None) -> tuple[Any, ModelHolder]:
    written: list[str] = []
    metrics = ServingMetrics(sinks=[lambda doc: written.append(json.dumps(doc))])
    holder = ModelHolder(ReleaseRecord(release), lambda _: bundle, ttl_seconds=3600, max_instances=1000)
    holder.refresh()
    shadow = ShadowScorer(metrics, None, deadline) if deadline is not None else None
    adapter = make_handler(create_app(ServingRuntime(holder, metrics, None, 1_000_000, 1000, shadow)))

    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return adapter(event, context)
        finally:
            written.clear()

    return call, holder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--model", default="logistic")
    args = parser.parse_args()
    silence_request_logs()
    bundle, _, frame = train_bundle(args.model, runtime="onnx")  # what serving runs
    body = {"instances": instances_from(frame, 1)}
    variants = {
        "live only": handler(bundle, None, None)[0],
        "canary 50 %": handler(bundle, _release(CANARY, 50.0), None)[0],
        "shadow 100 %, in request": handler(bundle, _release(SHADOW, 100.0), 0.1)[0],
        "shadow 100 %, fire and forget": handler(bundle, _release(SHADOW, 100.0), 0.0)[0],
    }
    events = []
    for i in range(256):
        event = http_v2_event(body)
        event["headers"] = {**event["headers"], "x-lightship-routing-key": f"user-{i}"}
        events.append(event)
    context = Context()
    samples: dict[str, list[int]] = {name: [] for name in variants}
    for name, call in variants.items():  # warm up
        for event in events[:50]:
            assert call(event, context)["statusCode"] == 200, name
    order = list(variants)
    for r in range(args.rounds):
        random.shuffle(order)
        event = events[r % len(events)]
        for name in order:
            started = time.perf_counter_ns()
            variants[name](event, context)
            samples[name].append(time.perf_counter_ns() - started)
            time.sleep(0.0002)  # let a fire-and-forget shadow finish between calls, as between real requests
    base_p50, base_p99 = summary(samples["live only"])
    print(f"handler, one instance, {args.model}, {args.rounds} interleaved rounds")
    print(f"{'variant':34} {'p50 µs':>9} {'p99 µs':>9} {'p50 vs live':>12} {'added p50 µs':>13}")
    for name in variants:
        p50, p99 = summary(samples[name])
        print(f"{name:34} {p50:9.1f} {p99:9.1f} {p50 / base_p50:11.2f}x {p50 - base_p50:13.1f}")

    # The routing decision alone: a canary candidate, a fresh key each call.
    _, holder = handler(bundle, _release(CANARY, 50.0), None)
    live, candidate = holder.current(), holder.candidate
    keys = [f"user-{i}" for i in range(10_000)]
    timings = []
    for i in range(50_000):
        key = keys[i % len(keys)]
        started = time.perf_counter_ns()
        choose(live, candidate, key)
        timings.append(time.perf_counter_ns() - started)
    p50, p99 = summary(timings)
    print(f"routing decision alone (choose, canary 50 %): p50 {p50:.2f} µs, p99 {p99:.2f} µs")


if __name__ == "__main__":
    main()
