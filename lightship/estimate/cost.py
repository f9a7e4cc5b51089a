"""The monthly cost lines of a load: serving (Lambda with SnapStart, HTTP API, capture, the record cache),
monitoring (EMF and access logs, custom metrics, alarms) and batch (Step Functions, Lambda, S3).

Plain arithmetic on :mod:`.prices` and the settings; every line says its quantity, unit and the
price it used, so a reader can redo it by hand (tests/unit/estimate does). A month is 730 hours,
as AWS's pricing pages count it. What the serving stack configures is stated here once and checked
against the synthesized template (tests/infra/test_estimate_matches_stacks.py): x86_64, SnapStart
on published versions, an HTTP API.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

from lightship import observability as names
from lightship.monitoring.alarms import alarm_specs
from lightship.serving.capture import CaptureWriter
from lightship.estimate.prices import estimate_settings
from lightship.settings import Settings

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GIB = 1024**3
HTTP_API_METERING_BYTES = 512 * 1024  # an HTTP API request is metered in 512 KB increments
HTTP_API_FIRST_TIER = 300_000_000
# infra/stacks/serving.py: lambda_.Architecture.X86_64, SnapStartConf.ON_PUBLISHED_VERSIONS, apigw.HttpApi.
SERVING_ARCHITECTURE = "x86_64"
SERVING_SNAPSTART = True
SERVING_API = "HTTP API"
# A GetItem of the deployment record (< 4 KB), eventually consistent (lightship.serving.model_holder): half a unit.
RECORD_READ_UNITS = 0.5
# lightship.serving.metrics: each request's EMF line under two dimension sets ({service, Role, ModelVersion}, {service, Role}).
SERVING_METRICS = (names.REQUESTS, names.ERRORS_4XX, names.ERRORS_5XX, names.LATENCY_MS, names.INSTANCES, names.OUT_OF_RANGE_INSTANCES)
SERVING_DIMENSION_SETS = 2
BATCH_METRICS = (names.ROWS_IN, names.ROWS_SCORED, names.ROWS_REJECTED, names.ROWS_FLAGGED, names.MAX_PSI, names.DRIFTED_FEATURES)
BATCH_OTHER_FUNCTIONS = 3  # resolve, plan, finalize: once per run each


@dataclass(frozen=True)
class CostLine:
    part: str  # serving | monitoring | batch
    item: str
    quantity: float
    unit: str
    price_key: str  # the entry of the price table (settings estimate.prices) it used ("" for a sum of tiers)
    usd: float  # per month (serving, monitoring); per run (batch)


def _capture_default(name: str) -> Any:
    return inspect.signature(CaptureWriter.__init__).parameters[name].default


def serving_concurrency(settings: Settings, rps: float) -> float:
    """Busy execution environments at ``rps`` (Little's law: arrival rate times billed duration)."""
    return rps * estimate_settings(settings).assumptions.request_ms.value / 1000


def http_api_cost(settings: Settings, units: float) -> float:
    prices = estimate_settings(settings).prices
    first = min(units, HTTP_API_FIRST_TIER)
    return first * prices.http_api_request_first_300m.value + max(units - first, 0.0) * prices.http_api_request_over_300m.value


def capture_puts(settings: Settings, sampled: float, environments: int) -> float:
    """Capture objects a month: each environment uploads when its buffer is full or old enough."""
    max_records, max_age = _capture_default("max_records"), _capture_default("max_age_seconds")
    per_environment_per_window = sampled / SECONDS_PER_MONTH / environments * max_age
    puts = sampled / max_records if per_environment_per_window >= max_records else environments * SECONDS_PER_MONTH / max_age
    return float(min(puts, sampled))


def serving_lines(settings: Settings, rps: float, instances_per_request: int) -> list[CostLine]:
    p, a, serving = estimate_settings(settings).prices, estimate_settings(settings).assumptions, settings.serving
    requests = rps * SECONDS_PER_MONTH
    memory_gb = serving.memory_mb / 1024
    billed_seconds = math.ceil(a.request_ms.value) / 1000  # billed per whole ms
    environments = max(1, math.ceil(serving_concurrency(settings, rps)))
    gb_second = p.lambda_gb_second_x86 if SERVING_ARCHITECTURE == "x86_64" else p.lambda_gb_second_arm
    gb_second_key = "lambda_gb_second_x86" if SERVING_ARCHITECTURE == "x86_64" else "lambda_gb_second_arm"
    restores = environments * HOURS_PER_MONTH / a.environment_lifetime_hours.value
    api_units = requests * math.ceil(a.request_bytes.value / HTTP_API_METERING_BYTES)
    sampled = requests * instances_per_request * serving.capture_sample_rate
    puts = capture_puts(settings, sampled, environments) if sampled else 0.0
    record_reads = (environments * SECONDS_PER_MONTH / serving.record_ttl_seconds if serving.record_ttl_seconds > 0 else requests)
    lines = [
        CostLine("serving", "Lambda requests", requests, "requests", "lambda_request", requests * p.lambda_request.value),
        CostLine("serving", f"Lambda duration ({SERVING_ARCHITECTURE}, {serving.memory_mb} MB, {billed_seconds * 1000:.0f} ms billed)",
                 requests * billed_seconds * memory_gb, "GB-seconds", gb_second_key, requests * billed_seconds * memory_gb * gb_second.value),
    ]
    if SERVING_SNAPSTART:
        lines += [
            CostLine("serving", "SnapStart cache (the live published version)", memory_gb * SECONDS_PER_MONTH, "GB-seconds",
                     "snapstart_cache_gb_second", memory_gb * SECONDS_PER_MONTH * p.snapstart_cache_gb_second.value),
            CostLine("serving", f"SnapStart restores ({environments} environments renewed every {a.environment_lifetime_hours.value:g} h)",
                     restores * memory_gb, "GB restored", "snapstart_restore_gb", restores * memory_gb * p.snapstart_restore_gb.value),
        ]
    lines += [
        CostLine("serving", f"API Gateway {SERVING_API} requests (tiered)", api_units, "requests", "", http_api_cost(settings, api_units)),
        CostLine("serving", f"S3 PUTs, inference capture ({serving.capture_sample_rate:.0%} sampled)", puts, "requests", "s3_put", puts * p.s3_put.value),
        CostLine("serving", "S3 storage, a month of capture", sampled * a.capture_bytes_per_instance.value / GIB, "GB-months",
                 "s3_gb_month", sampled * a.capture_bytes_per_instance.value / GIB * p.s3_gb_month.value),
        CostLine("serving", f"DynamoDB reads of the deployment record (TTL {serving.record_ttl_seconds:g} s)",
                 record_reads * RECORD_READ_UNITS, "read units", "dynamodb_read_unit", record_reads * RECORD_READ_UNITS * p.dynamodb_read_unit.value),
    ]
    return lines


def monitoring_lines(settings: Settings, rps: float) -> list[CostLine]:
    p, a = estimate_settings(settings).prices, estimate_settings(settings).assumptions
    log_gb = rps * SECONDS_PER_MONTH * (a.emf_bytes_per_request.value + a.access_log_bytes_per_request.value) / GIB
    metrics = len(SERVING_METRICS) * SERVING_DIMENSION_SETS + len(BATCH_METRICS)
    alarm_metrics = sum(len(spec.metrics) for spec in alarm_specs(settings))
    return [
        CostLine("monitoring", "CloudWatch Logs ingestion (EMF line + access log per request)", log_gb, "GB",
                 "cloudwatch_logs_ingest_gb", log_gb * p.cloudwatch_logs_ingest_gb.value),
        CostLine("monitoring", "CloudWatch custom metrics (live role, one version)", metrics, "metrics",
                 "cloudwatch_metric_month", metrics * p.cloudwatch_metric_month.value),
        CostLine("monitoring", "CloudWatch alarms (metrics in alarm_specs)", alarm_metrics, "alarm metrics",
                 "cloudwatch_alarm_metric_month", alarm_metrics * p.cloudwatch_alarm_metric_month.value),
    ]


def chunk_seconds(settings: Settings, rows_per_chunk: float) -> float:
    a = estimate_settings(settings).assumptions
    return rows_per_chunk / a.batch_rows_per_second.value + a.batch_chunk_overhead_seconds.value


def batch_lines(settings: Settings, rows: int, chunks: int, transitions: int) -> list[CostLine]:
    """One batch run (a batch day)."""
    p, a, batch = estimate_settings(settings).prices, estimate_settings(settings).assumptions, settings.batch
    memory_gb = batch.memory_mb / 1024
    seconds = math.ceil(chunk_seconds(settings, rows / chunks) * 1000) / 1000 if chunks else 0.0
    other = BATCH_OTHER_FUNCTIONS * math.ceil(a.batch_chunk_overhead_seconds.value * 1000) / 1000
    gb_s = (chunks * seconds + other) * memory_gb
    gets, puts = chunks * a.batch_s3_gets_per_chunk.value, chunks * a.batch_s3_puts_per_chunk.value
    stored = rows * a.batch_output_bytes_per_row.value / GIB
    return [
        CostLine("batch", "Step Functions state transitions", transitions, "transitions", "sfn_transition", transitions * p.sfn_transition.value),
        CostLine("batch", "Lambda requests", chunks + BATCH_OTHER_FUNCTIONS, "requests", "lambda_request",
                 (chunks + BATCH_OTHER_FUNCTIONS) * p.lambda_request.value),
        CostLine("batch", f"Lambda duration (x86_64, {batch.memory_mb} MB, {seconds:.3f} s a chunk)", gb_s, "GB-seconds",
                 "lambda_gb_second_x86", gb_s * p.lambda_gb_second_x86.value),
        CostLine("batch", "S3 GETs", gets, "requests", "s3_get", gets * p.s3_get.value),
        CostLine("batch", "S3 PUTs", puts, "requests", "s3_put", puts * p.s3_put.value),
        CostLine("batch", "S3 storage of the run's scores, for a month", stored, "GB-months", "s3_gb_month", stored * p.s3_gb_month.value),
    ]
