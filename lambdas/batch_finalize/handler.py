"""Batch step 4 (``MergeDriftReport``): merge sketches, drift, report, manifest, metrics.

Event: ``{"run": RunContext, "plan": PlanResult}``; returns a
:class:`batch.events.FinalizeResult` whose ``alert`` makes the state machine publish
``subject`` / ``message`` to the alerts topic. Metrics (CloudWatch EMF, names from
:mod:`lightship.observability`): rows in/scored/rejected, max PSI, drifted features,
and PSI per feature (``Feature`` dimension).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric

from batch.config import current_config
from batch.events import FinalizeEvent
from batch.finalize import finalize
from batch.metrics import UNITS
from lightship.clients import cached_client
from lightship.observability import DIMENSION_FEATURE, DIMENSION_MODEL_VERSION, FEATURE_PSI, NAMESPACE, SERVICE_BATCH

logger = Logger(service=SERVICE_BATCH)
tracer = Tracer(service=SERVICE_BATCH)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_BATCH)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = FinalizeEvent.model_validate(event)
    done = finalize(cached_client("s3"), parsed.run, parsed.plan, current_config())
    version = str(parsed.run.model.version)
    metrics.add_dimension(name=DIMENSION_MODEL_VERSION, value=version)
    # Also the version-less {service} series: the monitoring stack's drift alarm watches it.
    metrics.add_dimensions(service=SERVICE_BATCH)
    for name, value in done.metrics.items():
        metrics.add_metric(name=name, unit=UNITS[name], value=value)
    if done.report is not None:
        for feature in done.report.features:
            with single_metric(name=FEATURE_PSI, unit=UNITS[FEATURE_PSI], value=feature.psi, namespace=NAMESPACE) as metric:
                metric.add_dimension(name=DIMENSION_MODEL_VERSION, value=version)
                metric.add_dimension(name=DIMENSION_FEATURE, value=feature.name)
    logger.info("finalized", extra={"result": done.result.model_dump(mode="json", exclude={"message"})})
    return done.result.model_dump(mode="json")
