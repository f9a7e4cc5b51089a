"""Which limit binds first: each quota or setting against what the load asks of it.

A :class:`Limit`'s utilization is demand over limit; the binding limit is the one with the
highest (over 1: the load does not fit as configured). Sources: :mod:`.prices`' quotas (AWS
documentation pages) and this project's settings (the stage throttle, reserved concurrency,
body size, map concurrency, chunk size, function timeout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lightship.estimate.cost import SECONDS_PER_MONTH, capture_puts, chunk_seconds, serving_concurrency
from lightship.estimate.prices import estimate_settings
from lightship.settings import Settings

# Events one inline Map iteration with one Task adds to the execution's history (iteration
# started/succeeded, state entered/exited, task scheduled/started/succeeded).
EVENTS_PER_INLINE_ITERATION = 7
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Limit:
    name: str
    demand: float
    limit: float
    unit: str
    source: str

    @property
    def utilization(self) -> float:
        return self.demand / self.limit if self.limit else math.inf


def serving_limits(settings: Settings, rps: float, instances_per_request: int) -> list[Limit]:
    q, a, serving = estimate_settings(settings).quotas, estimate_settings(settings).assumptions, settings.serving
    concurrency = serving_concurrency(settings, rps)
    concurrency_limit = serving.reserved_concurrency or q.lambda_account_concurrency.value
    concurrency_source = ("setting serving.reserved_concurrency" if serving.reserved_concurrency else q.lambda_account_concurrency.source)
    payloads = [(serving.max_body_bytes, "setting serving.max_body_bytes"),
                (q.lambda_sync_payload_bytes.value, q.lambda_sync_payload_bytes.source),
                (q.http_api_payload_bytes.value, q.http_api_payload_bytes.source)]
    body_limit, body_source = min(payloads)
    environments = max(1, math.ceil(concurrency))
    sampled = rps * SECONDS_PER_MONTH * instances_per_request * serving.capture_sample_rate
    puts_per_second = capture_puts(settings, sampled, environments) / SECONDS_PER_MONTH if sampled else 0.0
    return [
        Limit("API Gateway stage throttle (rate)", rps, serving.throttle_rate_limit, "requests/s",
              "setting serving.throttle_rate_limit (infra/stacks/serving.py stage throttle)"),
        Limit("API Gateway account throttle", rps, q.http_api_account_rps.value, "requests/s", q.http_api_account_rps.source),
        Limit("Lambda concurrency", concurrency, concurrency_limit, "concurrent executions", concurrency_source),
        Limit("Lambda invocation rate (10 per unit of concurrency)", rps,
              q.lambda_rps_per_concurrency.value * concurrency_limit, "requests/s", q.lambda_rps_per_concurrency.source),
        Limit("Lambda scale-up from zero (environments per 10 s)", concurrency, q.lambda_scaling_per_10s.value,
              "environments", q.lambda_scaling_per_10s.source),
        Limit("Request body size", a.request_bytes.value, body_limit, "bytes", body_source),
        Limit("S3 PUT rate, capture prefix", puts_per_second, q.s3_put_rps_per_prefix.value, "PUT/s", q.s3_put_rps_per_prefix.source),
    ]


def batch_limits(settings: Settings, rows: int, chunks: int, distributed: bool) -> list[Limit]:
    q, a, batch = estimate_settings(settings).quotas, estimate_settings(settings).assumptions, settings.batch
    if not chunks:
        return []
    seconds = chunk_seconds(settings, rows / chunks)
    waves = math.ceil(chunks / batch.map_concurrency)
    limits = [
        Limit("Batch run length (must end before the next daily run)", waves * seconds, SECONDS_PER_DAY, "seconds",
              f"setting batch.schedule ({batch.schedule}) and batch.map_concurrency ({batch.map_concurrency})"),
        Limit("Batch chunk function timeout", seconds, batch.timeout_seconds, "seconds", "setting batch.timeout_seconds"),
        Limit("S3 PUT rate, batch output prefix", batch.map_concurrency * a.batch_s3_puts_per_chunk.value / seconds,
              q.s3_put_rps_per_prefix.value, "PUT/s", q.s3_put_rps_per_prefix.source),
    ]
    if distributed:
        limits.append(Limit("Distributed Map concurrent children", min(batch.map_concurrency, chunks),
                            q.sfn_distributed_map_children.value, "child executions", q.sfn_distributed_map_children.source))
    else:
        limits += [
            Limit("Inline Map state payload (the plan)", chunks * a.plan_bytes_per_chunk.value, q.sfn_payload_bytes.value, "bytes",
                  q.sfn_payload_bytes.source),
            Limit("Execution history events", chunks * EVENTS_PER_INLINE_ITERATION, q.sfn_history_events.value, "events",
                  q.sfn_history_events.source),
        ]
    return limits
