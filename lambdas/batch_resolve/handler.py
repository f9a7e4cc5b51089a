"""Batch step 1 (``ResolveLiveModel``): the live model version and the run's addresses.

Event: ``{"request": <what started the run>, "run_id": <execution name>}``; returns
``{"run": RunContext}``. Thin: :func:`batch.resolve.resolve` does the work.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer

from batch.config import current_config
from batch.events import ResolveEvent, ResolveResult
from batch.resolve import resolve
from lightship.clients import cached_client
from lightship.observability import SERVICE_BATCH

logger = Logger(service=SERVICE_BATCH)
tracer = Tracer(service=SERVICE_BATCH)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = ResolveEvent.model_validate(event)
    run = resolve(parsed.request, parsed.run_id, current_config(), cached_client("dynamodb"))
    logger.info("resolved run", extra={"run_id": run.run_id, "date": run.date, "model_version": run.model.version})
    return ResolveResult(run=run).model_dump(mode="json")
