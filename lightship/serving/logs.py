"""The serving package's Powertools logger (JSON lines; ``POWERTOOLS_LOG_LEVEL`` sets the level)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from lightship import observability

logger = Logger(service=observability.SERVICE_SERVING)
