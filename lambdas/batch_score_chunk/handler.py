"""Batch step 3, inside the Map (``ScoreChunk``): score one chunk.

Event: ``{"run": RunContext, "chunk": Chunk}``; returns a small
:class:`batch.events.ChunkResult` (the drift sketch goes to S3). Any exception fails
the invocation; the state machine retries it with backoff, then fails the run.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer

from batch.events import ChunkEvent
from batch.score import score_chunk
from lightship.clients import cached_client
from lightship.observability import SERVICE_BATCH

logger = Logger(service=SERVICE_BATCH)
tracer = Tracer(service=SERVICE_BATCH)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parsed = ChunkEvent.model_validate(event)
    result = score_chunk(cached_client("s3"), parsed.run, parsed.chunk)
    logger.info("scored chunk", extra={"chunk": result.model_dump(mode="json")})
    return result.model_dump(mode="json")
