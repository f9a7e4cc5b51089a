"""Gathering the checklist's evidence for one version from the deployed (or emulated) system.

Reads only: the registry (the version, the earlier Approved ones), the deployment record, S3 (the
reproducibility record, batch manifests, inference capture, quality reports), CloudWatch (the version's
serving metrics, the alarms). Clients are passed in (:class:`Clients`), so the emulator and AWS go
through the same calls. :mod:`lightship.checklist.answers` turns the result into answers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from lightship import observability as names
from lightship.checklist.answers import AlarmFacts, BatchRun, Evidence, LiveFacts, ServingFigures, VersionFacts
from lightship.checklist.reproducibility import record_key
from lightship.deployment.record import DeploymentRecord
from lightship.errors import LightshipError
from lightship.monitoring.alarms import alarm_specs
from lightship.registry.model_registry import APPROVED, ModelRegistry, ModelVersion
from lightship.deployment.release_state import release_of
from lightship.resources import Resources
from lightship.s3uri import S3Uri
from lightship.settings import Settings

MODEL_CARD_METADATA_KEY = "model_card"  # the registry version's customer metadata naming its card
SERVING_LOOKBACK_DAYS = 14  # CloudWatch window for the version's serving figures
MAX_MANIFESTS = 90  # newest batch days read for this version's runs


@dataclass
class Clients:
    s3: Any
    sagemaker: Any
    dynamodb: Any
    cloudwatch: Any


def registry_of(settings: Settings, resources: Resources, clients: Clients) -> ModelRegistry:
    return ModelRegistry(settings, clients.sagemaker, clients.s3, resources.artifact_bucket)


def resolve_version(settings: Settings, resources: Resources, clients: Clients, version: int | None) -> int:
    """``version``, or the live one from the deployment record."""
    if version is not None:
        return version
    live = DeploymentRecord(clients.dynamodb, resources.deployment_table).live()
    if live is None:
        raise LightshipError("nothing is live: pass --version N (lightship models list shows the versions)")
    return live.version


def version_facts(model: ModelVersion) -> VersionFacts:
    return VersionFacts(
        version=model.version, arn=model.arn, status=model.status, approval_description=model.approval_description,
        evaluation_uri=model.evaluation_uri, evaluation=model.evaluation, model_data_url=model.model_data_url,
        model_card_uri=model.customer_metadata.get(MODEL_CARD_METADATA_KEY),
    )


def gather(settings: Settings, resources: Resources, clients: Clients, version: int) -> Evidence:
    registry = registry_of(settings, resources, clients)
    model = registry.version(version)
    approved = tuple(sorted((_number(arn) for arn in registry.arns(APPROVED) if _number(arn) < version), reverse=True))
    repro_uri = S3Uri(resources.artifact_bucket, record_key(version))
    runs = tuple(batch_runs(clients.s3, resources.data_bucket, settings.batch_report_prefix, version))
    return Evidence(
        settings=settings,
        version=version_facts(model),
        earlier_approved=approved,
        live=live_facts(clients.dynamodb, resources.deployment_table),
        reproducibility=_json_or_none(clients.s3, repro_uri),
        reproducibility_uri=str(repro_uri),
        batch_runs=runs,
        serving=serving_figures(clients.cloudwatch, version),
        capture_uri=str(S3Uri(resources.data_bucket, f"{settings.capture_prefix.strip('/')}/model_version={version}/")),
        capture_objects=_count(clients.s3, resources.data_bucket, f"{settings.capture_prefix.strip('/')}/model_version={version}/"),
        log_group=resources.function_log_group(resources.serving_function),
        batch_state_machine=resources.batch_state_machine,
        **_quality(clients.s3, resources.data_bucket, settings.quality.report_prefix, version),
        alarms=alarm_facts(clients.cloudwatch, settings, resources),
        **_cost(settings, runs),
    )


def expected_load(settings: Settings, runs: tuple[BatchRun, ...]) -> Any:
    """The load the checklist prices: the API's configured steady request rate (what the stack is set up
    to take) and the rows of the version's newest batch day (one chunk's worth before any run)."""
    from lightship.estimate import Load

    rows = runs[0].rows_in if runs else settings.batch.chunk_rows
    return Load(rps=float(settings.serving.throttle_rate_limit), batch_rows=rows)


def _cost(settings: Settings, runs: tuple[BatchRun, ...]) -> dict[str, Any]:
    from lightship.estimate import estimate

    try:
        return {"cost": estimate(settings, expected_load(settings, runs))}
    except LightshipError as exc:  # a bad price override, or no synthesized batch machine: say why
        return {"cost_error": str(exc)}


def live_facts(dynamodb: Any, table: str) -> LiveFacts:
    live = DeploymentRecord(dynamodb, table).live()
    if live is None:
        return LiveFacts(table=table)
    release = release_of(live.release)
    return LiveFacts(
        table=table, live_version=live.version, revision=live.revision, since=live.at,
        candidate_version=release.candidate_version if release else None,
        candidate_mode=release.mode if release else None,
        candidate_weight=release.weight if release else None,
    )


def batch_runs(s3: Any, bucket: str, prefix: str, version: int) -> list[BatchRun]:
    """The manifests of days this version scored, newest first (a rerun of a day replaces its manifest)."""
    root = prefix.strip("/") + "/"
    pattern = re.compile(re.escape(root) + r"date=([^/]+)/manifest\.json$")
    keys = sorted((k for k in _keys(s3, bucket, root) if pattern.match(k)), reverse=True)[:MAX_MANIFESTS]
    runs: list[BatchRun] = []
    for key in keys:
        manifest = _json_or_none(s3, S3Uri(bucket, key))
        if manifest is None or int(manifest.get("model", {}).get("version", -1)) != version:
            continue
        rows = manifest.get("rows", {})
        runs.append(BatchRun(
            date=str(manifest.get("date")), manifest_uri=f"s3://{bucket}/{key}", status=str(manifest.get("status")),
            rows_in=int(rows.get("in", 0)), rows_scored=int(rows.get("scored", 0)), rows_rejected=int(rows.get("rejected", 0)),
            rejected_by_reason={str(k): int(v) for k, v in rows.get("rejected_by_reason", {}).items()},
            quarantined=len(manifest.get("quarantined", [])),
            report_uri=(manifest.get("report") or {}).get("json"), drift=manifest.get("drift"),
        ))
    return runs


def serving_figures(cloudwatch: Any, version: int, days: int = SERVING_LOOKBACK_DAYS) -> ServingFigures | None:
    """The version's serving sums over ``days``, live and candidate roles together; None without requests."""
    end = dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(days=days)

    def stat(metric: str, statistic: str) -> list[float]:
        values: list[float] = []
        for role in (names.ROLE_LIVE, names.ROLE_CANDIDATE):
            dims = [{"Name": "service", "Value": names.SERVICE_SERVING}, {"Name": names.DIMENSION_ROLE, "Value": role},
                    {"Name": names.DIMENSION_MODEL_VERSION, "Value": str(version)}]
            points = cloudwatch.get_metric_statistics(Namespace=names.NAMESPACE, MetricName=metric, Dimensions=dims,
                                                      StartTime=start, EndTime=end, Period=86400, Statistics=[statistic])
            values += [float(p[statistic]) for p in points.get("Datapoints", [])]
        return values

    requests = sum(stat(names.REQUESTS, "Sum"))
    if not requests:
        return None
    latency_sum = sum(stat(names.LATENCY_MS, "Sum"))
    latency_count = sum(stat(names.LATENCY_MS, "SampleCount"))
    maxima = stat(names.LATENCY_MS, "Maximum")
    return ServingFigures(
        source=f"CloudWatch {names.NAMESPACE} service=serving ModelVersion={version}, last {days} days",
        requests=requests,
        errors_4xx=sum(stat(names.ERRORS_4XX, "Sum")),
        errors_5xx=sum(stat(names.ERRORS_5XX, "Sum")),
        out_of_range=sum(stat(names.OUT_OF_RANGE_INSTANCES, "Sum")),
        latency_avg_ms=latency_sum / latency_count if latency_count else None,
        latency_max_ms=max(maxima) if maxima else None,
    )


def alarm_facts(cloudwatch: Any, settings: Settings, resources: Resources) -> AlarmFacts:
    expected = tuple(s.name for s in alarm_specs(settings) if s.rolls_back and s.role == names.ROLE_LIVE)
    found: dict[str, tuple[str, ...]] = {}
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=list(expected)):
        for alarm in page.get("MetricAlarms", []):
            found[alarm["AlarmName"]] = tuple(alarm.get("AlarmActions", []))
    return AlarmFacts(expected=expected, found=found, rollback_topic_arn=resources.rollback_topic_arn)


def _quality(s3: Any, bucket: str, prefix: str, version: int) -> dict[str, Any]:
    """The newest quality report naming this version (reports are dated: ``{prefix}/date=D/report.json``)."""
    root = prefix.strip("/") + "/"
    for key in sorted((k for k in _keys(s3, bucket, root) if k.endswith("/report.json")), reverse=True):
        report = _json_or_none(s3, S3Uri(bucket, key))
        if report and any(v.get("version") == version for v in report.get("versions", [])):
            return {"quality_report": report, "quality_report_uri": f"s3://{bucket}/{key}"}
    return {"quality_report": None, "quality_report_uri": None}


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [str(o["Key"]) for o in page.get("Contents", [])]
    return keys


def _count(s3: Any, bucket: str, prefix: str) -> int:
    return int(s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1000).get("KeyCount", 0))


def _json_or_none(s3: Any, uri: S3Uri) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    value: dict[str, Any] = json.loads(body)
    return value


def _number(arn: str) -> int:
    return int(arn.rsplit("/", 1)[-1])
