"""What starts a batch run: the state machine's input, from ``lightship batch run``, the demo or
the EventBridge schedule. The job's resolve step (:mod:`batch.resolve`) reads it back.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RunRequest(BaseModel):
    """What starts a run: ``lightship batch run`` or the EventBridge schedule (``time`` only)."""

    model_config = ConfigDict(extra="ignore")

    date: dt.date | None = None
    input: str | None = Field(default=None, description="s3:// prefix holding the day's files (default from config)")
    output: str | None = Field(default=None, description="s3:// prefix the date partition goes under")
    time: dt.datetime | None = Field(default=None, description="the schedule's fire time (EventBridge)")

    @field_validator("input", "output")
    @classmethod
    def _s3(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("s3://"):
            raise ValueError(f"{value}: must be an s3:// address")
        return value
