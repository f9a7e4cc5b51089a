"""Every price, quota and load assumption ``lightship estimate`` uses: typed, sourced and dated, one table.

Each entry is a :class:`Price` (or :class:`Quota`, :class:`Assumption`): a value, its unit, the page it
comes from and when that figure was published there. They are settings (``estimate`` in ``cdk.json``'s
``lightship`` context, or ``LIGHTSHIP_ESTIMATE__PRICES__S3_GET=...``): a bare number replaces
the value and marks the source as yours; an object replaces the fields it names. ``Settings.estimate``
holds only those overrides; :func:`estimate_settings` validates them over these defaults when an
estimate is made, so the serving function's cold start never builds these tables.

The figures are us-east-1 list prices as published on the cited pages at ``as_of``. They were not
re-read from the machine this project is built on (it reaches no web page): check them against the
pages before quoting a figure, and set the ones your region or contract changes.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field, model_validator

LAMBDA = "https://aws.amazon.com/lambda/pricing/"
APIGW = "https://aws.amazon.com/api-gateway/pricing/"
S3 = "https://aws.amazon.com/s3/pricing/"
SFN = "https://aws.amazon.com/step-functions/pricing/"
DDB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
CW = "https://aws.amazon.com/cloudwatch/pricing/"
SM = "https://aws.amazon.com/sagemaker/pricing/"
LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
LAMBDA_SCALING = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html"
APIGW_QUOTAS = "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html"
S3_PERF = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html"
SFN_QUOTAS = "https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html"
SM_SERVERLESS = "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html"
OURS = "this repository: bench/README.md and NOTES.md"
YOURS = "set by you (cdk.json context or LIGHTSHIP_ESTIMATE__*)"


class Sourced(BaseModel):
    value: float
    unit: str
    source: str
    as_of: str  # YYYY-MM the figure was published (or measured) at the source

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        if isinstance(data, str):  # an environment variable
            data = float(data)
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"value": data, "unit": "", "source": YOURS, "as_of": ""}
        return data


class Price(Sourced):
    pass


class Quota(Sourced):
    pass


class Assumption(Sourced):
    pass


def _p(value: float, unit: str, source: str, as_of: str = "2025-01") -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source, "as_of": as_of}


PRICES: dict[str, dict[str, Any]] = {
    "lambda_request": _p(0.20 / 1e6, "USD per request", LAMBDA),
    "lambda_gb_second_x86": _p(0.0000166667, "USD per GB-second (x86_64, first 6 billion GB-s a month)", LAMBDA),
    "lambda_gb_second_arm": _p(0.0000133334, "USD per GB-second (arm64, first 7.5 billion GB-s a month)", LAMBDA),
    "snapstart_cache_gb_second": _p(0.0000015046, "USD per GB-second a SnapStart version is cached (Python)", LAMBDA, "2024-11"),
    "snapstart_restore_gb": _p(0.0001397998, "USD per GB restored from a SnapStart snapshot (Python)", LAMBDA, "2024-11"),
    "http_api_request_first_300m": _p(1.00 / 1e6, "USD per HTTP API request (first 300 million a month, 512 KB units)", APIGW),
    "http_api_request_over_300m": _p(0.90 / 1e6, "USD per HTTP API request (over 300 million a month)", APIGW),
    "s3_put": _p(0.005 / 1000, "USD per PUT/COPY/POST/LIST request (S3 Standard)", S3),
    "s3_get": _p(0.0004 / 1000, "USD per GET/SELECT request (S3 Standard)", S3),
    "s3_gb_month": _p(0.023, "USD per GB-month (S3 Standard, first 50 TB)", S3),
    "sfn_transition": _p(0.025 / 1000, "USD per state transition (Standard workflows)", SFN),
    "dynamodb_read_unit": _p(0.125 / 1e6, "USD per on-demand read request unit", DDB, "2024-11"),
    "cloudwatch_metric_month": _p(0.30, "USD per custom metric a month (first 10,000)", CW),
    "cloudwatch_alarm_metric_month": _p(0.10, "USD per standard-resolution alarm metric a month", CW),
    "cloudwatch_logs_ingest_gb": _p(0.50, "USD per GB of logs ingested (standard class; EMF lines are logs)", CW),
    "sagemaker_realtime_instance_hour": _p(0.102, "USD per ml.c5.large real-time inference instance-hour", SM),
    "sagemaker_serverless_gb_second": _p(0.00002, "USD per GB-second of serverless inference compute", SM),
    "sagemaker_serverless_data_gb": _p(0.016, "USD per GB processed in or out of a serverless endpoint", SM),
}

QUOTAS: dict[str, dict[str, Any]] = {
    "lambda_account_concurrency": _p(1000, "concurrent executions per account and region (default, raisable)", LAMBDA_QUOTAS),
    "lambda_rps_per_concurrency": _p(10, "requests per second per unit of concurrency (function invocation rate)", LAMBDA_QUOTAS),
    "lambda_scaling_per_10s": _p(1000, "new execution environments per function every 10 seconds", LAMBDA_SCALING, "2023-11"),
    "lambda_sync_payload_bytes": _p(6 * 1024 * 1024, "bytes, synchronous invocation request and response", LAMBDA_QUOTAS),
    "http_api_account_rps": _p(10000, "requests per second across HTTP APIs per account and region (raisable)", APIGW_QUOTAS),
    "http_api_account_burst": _p(5000, "burst requests across HTTP APIs per account and region", APIGW_QUOTAS),
    "http_api_payload_bytes": _p(10 * 1024 * 1024, "bytes, HTTP API payload", APIGW_QUOTAS),
    "s3_put_rps_per_prefix": _p(3500, "PUT/COPY/POST/DELETE per second per partitioned prefix", S3_PERF),
    "s3_get_rps_per_prefix": _p(5500, "GET/HEAD per second per partitioned prefix", S3_PERF),
    "sfn_distributed_map_children": _p(10000, "concurrent child executions of one Distributed Map run", SFN_QUOTAS),
    "sfn_payload_bytes": _p(256 * 1024, "bytes, state input or output", SFN_QUOTAS),
    "sfn_history_events": _p(25000, "events in one Standard execution's history", SFN_QUOTAS),
    "sagemaker_serverless_concurrency": _p(200, "max concurrency of one serverless endpoint", SM_SERVERLESS),
}

ASSUMPTIONS: dict[str, dict[str, Any]] = {
    "request_ms": _p(10.0, "ms billed per serving invocation (handler ~0.35 ms p50 measured locally, plus Lambda and "
                     "Mangum overhead, rounded up to the ms)", OURS, "2026-12"),
    "request_bytes": _p(2048, "bytes per request body", OURS, "2026-12"),
    "emf_bytes_per_request": _p(900, "bytes of the per-request EMF line (metrics + request log)", OURS, "2026-12"),
    "access_log_bytes_per_request": _p(400, "bytes of the API's JSON access log line", OURS, "2026-12"),
    "capture_bytes_per_instance": _p(600, "bytes of one inference capture JSON line", OURS, "2026-12"),
    "environment_lifetime_hours": _p(2.0, "hours an execution environment lives before Lambda recycles it (AWS publishes none)",
                                     LAMBDA_SCALING, "2026-12"),
    "batch_rows_per_second": _p(200000, "rows a batch chunk function scores per second (read, score, write; "
                                "HistGradientBoosting ~270k/s locally)", OURS, "2026-12"),
    "batch_chunk_overhead_seconds": _p(3.0, "seconds a chunk spends outside scoring (start, S3 round trips)", OURS, "2026-12"),
    "batch_output_bytes_per_row": _p(40, "bytes of Parquet scores per row", OURS, "2026-12"),
    "batch_s3_gets_per_chunk": _p(4, "S3 GETs per chunk (input row groups, the bundle)", OURS, "2026-12"),
    "batch_s3_puts_per_chunk": _p(3, "S3 PUTs per chunk (scores, rejects, drift sketch)", OURS, "2026-12"),
    "plan_bytes_per_chunk": _p(300, "bytes one chunk adds to the inline Map's state (its plan entry)", OURS, "2026-12"),
    "sagemaker_instance_rps": _p(1500, "requests per second one ml.c5.large serves (2 vCPU; uvicorn measured ~1,900 "
                                 "on a 2-core machine)", OURS, "2026-12"),
    "sagemaker_serverless_memory_gb": _p(2.0, "GB of the serverless endpoint (as the serving function's)", OURS, "2026-12"),
}


class _Table(BaseModel):
    model_config = {"extra": "forbid"}
    _defaults: ClassVar[dict[str, dict[str, Any]]] = {}

    @classmethod
    def defaults(cls) -> Self:
        """The table as sourced, no overrides."""
        return cls.model_validate({})

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        # Every field starts from its default entry (the one place each figure is written); a partial
        # object (or a bare number) changes only what it names; the rest stays sourced. A name that is
        # not in the table stays as given, for extra="forbid" to reject.
        out: dict[str, Any] = dict(cls._defaults)
        for key, given in (data or {}).items():
            base = cls._defaults.get(key)
            if isinstance(given, (int, float, str)) and not isinstance(given, bool) and base:
                given = {"value": float(given)}  # keeps the unit
            if isinstance(given, dict) and base:
                # A new value without a new source is yours, not the page's.
                sourced = {"source": YOURS, "as_of": ""} if "value" in given and "source" not in given else {}
                out[key] = {**base, **sourced, **given}
            else:
                out[key] = given
        return out


class PriceTable(_Table):
    _defaults: ClassVar[dict[str, dict[str, Any]]] = PRICES

    lambda_request: Price
    lambda_gb_second_x86: Price
    lambda_gb_second_arm: Price
    snapstart_cache_gb_second: Price
    snapstart_restore_gb: Price
    http_api_request_first_300m: Price
    http_api_request_over_300m: Price
    s3_put: Price
    s3_get: Price
    s3_gb_month: Price
    sfn_transition: Price
    dynamodb_read_unit: Price
    cloudwatch_metric_month: Price
    cloudwatch_alarm_metric_month: Price
    cloudwatch_logs_ingest_gb: Price
    sagemaker_realtime_instance_hour: Price
    sagemaker_serverless_gb_second: Price
    sagemaker_serverless_data_gb: Price


class QuotaTable(_Table):
    _defaults: ClassVar[dict[str, dict[str, Any]]] = QUOTAS

    lambda_account_concurrency: Quota
    lambda_rps_per_concurrency: Quota
    lambda_scaling_per_10s: Quota
    lambda_sync_payload_bytes: Quota
    http_api_account_rps: Quota
    http_api_account_burst: Quota
    http_api_payload_bytes: Quota
    s3_put_rps_per_prefix: Quota
    s3_get_rps_per_prefix: Quota
    sfn_distributed_map_children: Quota
    sfn_payload_bytes: Quota
    sfn_history_events: Quota
    sagemaker_serverless_concurrency: Quota


class AssumptionTable(_Table):
    _defaults: ClassVar[dict[str, dict[str, Any]]] = ASSUMPTIONS

    request_ms: Assumption
    request_bytes: Assumption
    emf_bytes_per_request: Assumption
    access_log_bytes_per_request: Assumption
    capture_bytes_per_instance: Assumption
    environment_lifetime_hours: Assumption
    batch_rows_per_second: Assumption
    batch_chunk_overhead_seconds: Assumption
    batch_output_bytes_per_row: Assumption
    batch_s3_gets_per_chunk: Assumption
    batch_s3_puts_per_chunk: Assumption
    plan_bytes_per_chunk: Assumption
    sagemaker_instance_rps: Assumption
    sagemaker_serverless_memory_gb: Assumption


class EstimateSettings(BaseModel):
    """``settings.estimate``: the tables :func:`lightship.estimate.estimate` reads."""

    prices: PriceTable = Field(default_factory=PriceTable.defaults)
    quotas: QuotaTable = Field(default_factory=QuotaTable.defaults)
    assumptions: AssumptionTable = Field(default_factory=AssumptionTable.defaults)


_validated: dict[str, EstimateSettings] = {}


def estimate_settings(settings: Any) -> EstimateSettings:
    """``settings.estimate`` (the overrides) over the defaults above; a bad entry names itself."""
    from pydantic import ValidationError

    from lightship.settings import SettingsError

    key = json.dumps(settings.estimate, sort_keys=True, default=str)
    if key in _validated:
        return _validated[key]
    try:
        _validated[key] = EstimateSettings.model_validate(settings.estimate)
        return _validated[key]
    except ValidationError as exc:
        problems = "; ".join(f"estimate.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"invalid settings: {problems}") from exc
