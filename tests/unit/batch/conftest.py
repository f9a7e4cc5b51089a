"""A real bundle trained in process on the generated customers table, for the batch unit tests,
and a day's run against moto's S3 in process (:class:`S3Day`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from batch import model as model_module
from batch.config import BatchConfig
from batch.events import Chunk, ModelRef, PlanResult, RunContext
from batch.finalize import finalize
from batch.plan import plan
from batch.score import score_chunk
from lightship.bundle.model_bundle import ModelBundle
from lightship.clients import cached_client, client
from lightship.s3io import get_bytes, get_json

# The fixtures bundle_dir (trained once, shared with batch_world), bundle and batch_frame.
from tests.support.batch_world import batch_frame_fixture, bundle_dir_fixture, bundle_fixture  # noqa: F401


@dataclass
class S3Day:
    """One day's run against moto's S3 in this process (no server, no state machine): the plan,
    chunk and finalize functions the state machine's steps call, called one after another."""

    bucket: str
    bundle_url: str
    monkeypatch: pytest.MonkeyPatch

    def put(self, name: str, body: bytes) -> str:
        key = f"batch/input/date={DATE}/{name}"
        client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        return f"s3://{self.bucket}/{key}"

    def run_context(self, id_column: str | None = None) -> RunContext:
        root = f"s3://{self.bucket}/batch"
        return RunContext(
            run_id="run-1", date=DATE, input_uri=f"{root}/input/date={DATE}/", output_uri=f"{root}/output/date={DATE}/",
            rejects_uri=f"{root}/rejects/date={DATE}/", report_uri=f"{root}/reports/date={DATE}/",
            model=ModelRef(version=3, package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/m/3",
                           model_data_url=self.bundle_url),
            started_at="2026-11-21T03:00:00+00:00", id_column=id_column,
        )

    def config(self, chunk_rows: int) -> BatchConfig:
        return BatchConfig(
            region="us-east-1", account="123456789012", data_bucket=self.bucket, artifact_bucket=self.bucket,
            deployment_table="t", input_prefix="batch/input", output_prefix="batch/output", rejects_prefix="batch/rejects",
            report_prefix="batch/reports", chunk_rows=chunk_rows, distributed_map_threshold=10_000, psi_threshold=0.2,
            ks_threshold=0.1,
        )

    def plan(self, run: RunContext, chunk_rows: int) -> tuple[PlanResult, list[Chunk]]:
        planned = plan(cached_client("s3"), run, self.config(chunk_rows))
        return planned, [Chunk.model_validate(c) for c in get_json(cached_client("s3"), planned.plan_uri)]

    def run(self, chunk_rows: int, id_column: str | None = None) -> dict[str, Any]:
        """Plan, score every chunk, finalize; the manifest."""
        run = self.run_context(id_column)
        planned, chunks = self.plan(run, chunk_rows)
        for chunk in chunks:
            score_chunk(cached_client("s3"), run, chunk)
        return finalize(cached_client("s3"), run, planned, self.config(chunk_rows)).manifest

    def written(self, manifest: dict[str, Any]) -> pd.DataFrame:
        """Scores and rejects of the run, together, with a ``rejected`` flag."""
        parts = [pq.read_table(io.BytesIO(get_bytes(cached_client("s3"), u))).to_pandas().assign(rejected=False) for u in manifest["outputs"]]
        parts += [pq.read_table(io.BytesIO(get_bytes(cached_client("s3"), u))).to_pandas().assign(rejected=True) for u in manifest["rejects"]]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["source_uri", "source_row", "rejected"])

    def manifest_exists(self) -> bool:
        listed = client("s3").list_objects_v2(Bucket=self.bucket, Prefix=f"batch/reports/date={DATE}/manifest.json")
        return bool(listed.get("KeyCount", 0))


DATE = "2026-11-20"


@pytest.fixture
def s3_day(bundle: ModelBundle, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Day]:
    """A versioned data bucket on moto (in process), the bundle served from the model cache."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    url = "s3://unit-artifacts/models/job/output/model.tar.gz"
    monkeypatch.setitem(model_module._cache, url, bundle)
    cached_client.cache_clear()
    with mock_aws():
        client("s3").create_bucket(Bucket="unit-data")
        client("s3").put_bucket_versioning(Bucket="unit-data", VersioningConfiguration={"Status": "Enabled"})
        yield S3Day(bucket="unit-data", bundle_url=url, monkeypatch=monkeypatch)
    cached_client.cache_clear()


@pytest.fixture
def unversioned_day(s3_day: S3Day) -> S3Day:
    """The same, in a bucket that keeps no versions (pins are ETags)."""
    client("s3").create_bucket(Bucket="unit-plain")
    return S3Day(bucket="unit-plain", bundle_url=s3_day.bundle_url, monkeypatch=s3_day.monkeypatch)
