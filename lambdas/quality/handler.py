"""The quality function: one quality run (lightship.quality.wiring.run). Thin: parse the event, delegate.

Event: ``{"date": "YYYY-MM-DD"}`` (``lightship quality run --date``) or EventBridge's ``{"time": ...}``
(the schedule: the run for that day). Returns the report's summary for the state machine's choice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from lightship.observability import SERVICE_QUALITY
from lightship.quality import wiring
from lightship.resources import current_resources
from lightship.settings import load_settings

logger = Logger(service=SERVICE_QUALITY)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = load_settings()
    request = event.get("request", event)
    date = request.get("date") or (str(request["time"])[:10] if request.get("time") else None)
    report = wiring.run(settings, current_resources(settings), date)
    summary = {k: report[k] for k in ("date", "breach", "estimated_breach", "alert", "subject", "message", "report_uri")}
    # "message" is a LogRecord attribute: logging refuses it as an extra key.
    logger.info("quality run", extra={k: v for k, v in summary.items() if k != "message"})
    return summary
