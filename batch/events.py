"""The payloads that pass between the batch state machine's steps (pydantic at the edge).

Each handler validates its event with one of these models and returns one, dumped
to JSON. They stay small: a chunk's sketch travels through S3 (:mod:`batch.layout`),
never through the state, which Step Functions caps at 256 KB.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from lightship.batch_run.request import RunRequest


class ModelRef(BaseModel):
    version: int
    package_arn: str
    model_data_url: str


class RunContext(BaseModel):
    """Everything a step needs to know about the run; resolve makes it, the others read it."""

    run_id: str
    date: str
    input_uri: str
    output_uri: str
    rejects_uri: str
    report_uri: str
    model: ModelRef
    started_at: str
    # The input column that identifies a row (``batch.id_column``); None: file + logical row number.
    id_column: str | None = None


class ResolveEvent(BaseModel):
    request: RunRequest = Field(default_factory=RunRequest)
    run_id: str


class ResolveResult(BaseModel):
    run: RunContext


class InputObject(BaseModel):
    uri: str
    size: int
    # The version the plan pinned: every read of this run asks for exactly it (lightship.s3io.Pin).
    version_id: str | None = None
    etag: str | None = None
    format: Literal["csv", "parquet"] | None = None
    rows: int | None = None
    status: Literal["planned", "quarantined"] = "planned"
    reason: str | None = None
    quarantine_uri: str | None = None
    # Rows of a quarantined file that could be counted: they count as rejected, never as lost.
    rejected_rows: int = 0


class Chunk(BaseModel):
    chunk_id: str
    uri: str
    format: Literal["csv", "parquet"]
    start: int = Field(description="first row group (parquet) or first byte (csv)")
    stop: int = Field(description="row group / byte after the last one")
    first_row: int = Field(description="logical row number in the file of the chunk's first row (0 = first after the header)")
    rows: int
    size: int = Field(default=0, description="the pinned object's size in bytes")
    version_id: str | None = None
    etag: str | None = None
    header_stop: int = Field(default=0, description="csv: the byte after the header record (a chunk parses it with its rows)")
    duplicates: int = Field(default=0, description="rows whose id an earlier row of the run holds (listed in S3)")
    id_hash: str | None = Field(default=None, description="multiset hash of the chunk's ids, as the plan read them")


class PlanEvent(BaseModel):
    run: RunContext


class PlanResult(BaseModel):
    chunk_count: int
    rows_planned: int
    plan_uri: str
    plan_key: str
    mode: Literal["inline", "distributed"]
    seconds: float = 0.0
    # Empty when the plan is large: the Distributed Map reads the items from plan_uri instead.
    chunks: list[Chunk] = Field(default_factory=list)


class ChunkEvent(BaseModel):
    run: RunContext
    chunk: Chunk


class ChunkResult(BaseModel):
    chunk_id: str
    first_row: int = 0
    rows_in: int
    rows_scored: int
    rows_rejected: int
    # Multiset hashes (batch.identity) of what the chunk wrote, scores and rejects together:
    # of the rows' logical row numbers, and of their ids (with an id column).
    row_hash: str = ""
    id_hash: str | None = None
    rejected_by_reason: dict[str, int] = Field(default_factory=dict)
    # Scored rows with a number outside the training range (rows.out_of_range=flag), in all and per feature.
    rows_flagged: int = 0
    flagged_by_feature: dict[str, int] = Field(default_factory=dict)
    output_uri: str | None = None
    rejects_uri: str | None = None
    result_uri: str
    seconds: float


class FinalizeEvent(BaseModel):
    run: RunContext
    plan: PlanResult


class FinalizeResult(BaseModel):
    status: Literal["complete", "empty"]
    alert: bool
    subject: str
    message: str
    manifest_uri: str
    report_uri: str | None = None
    html_uri: str | None = None
    rows_in: int
    rows_scored: int
    rows_rejected: int
    drifted: list[str] = Field(default_factory=list)
