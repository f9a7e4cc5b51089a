"""Batch step 2 (``PlanChunks``): list the day's files, quarantine unusable ones, cut chunks.

Event: ``{"run": RunContext}``; returns a :class:`batch.events.PlanResult` (its chunks
inline when the plan is small, else only in S3 for the Distributed Map).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer

from batch.config import current_config
from batch.events import PlanEvent
from batch.plan import plan
from lightship.clients import cached_client
from lightship.observability import SERVICE_BATCH

logger = Logger(service=SERVICE_BATCH)
tracer = Tracer(service=SERVICE_BATCH)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = PlanEvent.model_validate(event)
    result = plan(cached_client("s3"), parsed.run, current_config())
    logger.info("planned", extra={"run_id": parsed.run.run_id, "chunks": result.chunk_count, "rows": result.rows_planned, "mode": result.mode})
    return result.model_dump(mode="json")
