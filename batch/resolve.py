"""The first step of a run: which model is live, and where this run reads and writes.

The live version comes from the deployment record (:class:`DeploymentRecord`), the
same record promotion and rollback write, so a rollback also changes what the next
batch run scores with. A scheduled run (EventBridge gives only its fire time) scores
the day before; ``lightship batch run --date`` scores the day given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from batch import layout
from batch.config import BatchConfig
from batch.errors import NoLiveModel
from batch.events import ModelRef, RunContext
from lightship.batch_run.request import RunRequest
from lightship.deployment.record import DeploymentRecord


def run_date(request: RunRequest, now: dt.datetime | None = None) -> dt.date:
    if request.date is not None:
        return request.date
    fired = request.time or now or dt.datetime.now(dt.UTC)
    return (fired - dt.timedelta(days=1)).date()


def resolve(request: RunRequest, run_id: str, config: BatchConfig, dynamodb: Any) -> RunContext:
    live = DeploymentRecord(dynamodb, config.deployment_table).live()
    if live is None:
        raise NoLiveModel(
            f"no model version is live in {config.deployment_table}: deploy an approved version first "
            "(lightship deploy N)"
        )
    date = run_date(request).isoformat()
    data_root = f"s3://{config.data_bucket}"
    input_uri = request.input or layout.input_uri(config.data_bucket, config.input_prefix, date)
    return RunContext(
        run_id=run_id,
        date=date,
        input_uri=input_uri if input_uri.endswith("/") else input_uri + "/",
        output_uri=layout.dated(request.output or f"{data_root}/{config.output_prefix}", date),
        rejects_uri=layout.dated(f"{data_root}/{config.rejects_prefix}", date),
        report_uri=layout.dated(f"{data_root}/{config.report_prefix}", date),
        model=ModelRef(version=live.version, package_arn=live.package_arn, model_data_url=live.model_data_url),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        id_column=config.id_column,
    )
