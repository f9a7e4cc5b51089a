"""A batch day on moto in process (``mock_aws``): the data bucket, a trained bundle in S3, and a run's addresses.

For the batch tests that check what a step leaves in S3 (scores, rejects, quarantine,
manifest, report) without the emulator: input files are put where the plan lists them,
and :func:`run_day` runs plan → every chunk → finalize in process, as the state machine does.
A test module imports ``batch_world_fixture`` and ``bundle_targz`` and asks for ``batch_world``.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from batch import layout
from batch.config import BatchConfig
from batch.events import ModelRef, PlanResult, RunContext
from batch.finalize import Finalized, finalize
from batch.plan import plan
from batch.score import score_chunk
from lightship import clients
from lightship.bundle.model_bundle import ModelBundle, load_bundle, pack_bundle
from lightship.clients import cached_client
from lightship.datasets import customers
from lightship.resources import resources_for
from lightship.settings import load_settings
from lightship.training.data import load_training_data
from lightship.training.run import train, write

ACCOUNT = "123456789012"
DATE = "2026-11-30"


@dataclass
class BatchWorld:
    config: BatchConfig
    run: RunContext

    def put(self, name: str, body: bytes) -> str:
        uri = f"{self.run.input_uri}{name}"
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        cached_client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        return uri

    def put_frame(self, name: str, frame: pd.DataFrame, row_group_size: int | None = None) -> str:
        buffer = io.BytesIO()
        if name.endswith(".csv"):
            frame.to_csv(buffer, index=False)
        else:
            frame.to_parquet(buffer, index=False, row_group_size=row_group_size)
        return self.put(name, buffer.getvalue())

    def keys(self, uri_prefix: str) -> list[str]:
        bucket, prefix = uri_prefix.removeprefix("s3://").split("/", 1)
        pages = cached_client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(f"s3://{bucket}/{o['Key']}" for page in pages for o in page.get("Contents", []))

    def read_parquet(self, uris: list[str]) -> pd.DataFrame:
        frames = []
        for uri in uris:
            bucket, key = uri.removeprefix("s3://").split("/", 1)
            frames.append(pd.read_parquet(io.BytesIO(cached_client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_day(world: BatchWorld, run_id: str = "run-1") -> tuple[PlanResult, Finalized]:
    """Plan, score every chunk, finalize: the state machine's steps, in process."""
    run = world.run.model_copy(update={"run_id": run_id})
    planned = plan(cached_client("s3"), run, world.config)
    for chunk in _chunks(planned):
        score_chunk(cached_client("s3"), run, chunk)
    return planned, finalize(cached_client("s3"), run, planned, world.config)


def _chunks(planned: PlanResult) -> list[Any]:
    from batch.events import Chunk
    from lightship.s3io import get_json

    return planned.chunks or [Chunk.model_validate(c) for c in get_json(cached_client("s3"), planned.plan_uri)]


@pytest.fixture(scope="session", name="bundle_dir")
def bundle_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch tests' bundle, trained once per session (logistic on 3,000 customers)."""
    root = tmp_path_factory.mktemp("batch-bundle")
    data = root / "customers.csv"
    customers(rows=3000, seed=7).to_csv(data, index=False)
    result = train(load_training_data(data, "churned"), "logistic", {"C": 1.0})
    return write(result, Path(root) / "model")


@pytest.fixture(scope="session")
def bundle_targz(bundle_dir: Path) -> bytes:
    return pack_bundle(bundle_dir)


@pytest.fixture(scope="session", name="bundle")
def bundle_fixture(bundle_dir: Path) -> ModelBundle:
    """That bundle, loaded (for the batch and drift unit tests)."""
    return load_bundle(bundle_dir)


@pytest.fixture(scope="session", name="batch_frame")
def batch_frame_fixture() -> pd.DataFrame:
    """A day's rows to score: 4,000 generated customers without the label."""
    return customers(rows=4000, seed=11).drop(columns=["churned"])


@pytest.fixture(name="batch_world")
def batch_world_fixture(monkeypatch: pytest.MonkeyPatch, bundle_targz: bytes) -> Iterator[BatchWorld]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    settings = load_settings()
    monkeypatch.setenv("AWS_DEFAULT_REGION", settings.region)
    session = boto3.session.Session(region_name=settings.region)
    monkeypatch.setattr(clients, "client", lambda service, **kw: session.client(service, config=clients._CONFIG, **kw))
    cached_client.cache_clear()
    with mock_aws():
        config = dataclasses.replace(BatchConfig.from_settings(settings, resources_for(settings, ACCOUNT)), chunk_rows=400)
        s3 = cached_client("s3")
        s3.create_bucket(Bucket=config.data_bucket)
        s3.create_bucket(Bucket=config.artifact_bucket)
        # A model URL of its own per test: batch.model caches bundles by URL for the process.
        model_key = f"models/{id(config)}/model.tar.gz"
        s3.put_object(Bucket=config.artifact_bucket, Key=model_key, Body=bundle_targz)
        root = f"s3://{config.data_bucket}"
        run = RunContext(
            run_id="run-1",
            date=DATE,
            input_uri=layout.input_uri(config.data_bucket, config.input_prefix, DATE),
            output_uri=layout.dated(f"{root}/{config.output_prefix}", DATE),
            rejects_uri=layout.dated(f"{root}/{config.rejects_prefix}", DATE),
            report_uri=layout.dated(f"{root}/{config.report_prefix}", DATE),
            model=ModelRef(version=3, package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/g/3",
                           model_data_url=f"s3://{config.artifact_bucket}/{model_key}"),
            started_at="2026-12-01T00:00:00+00:00",
        )
        yield BatchWorld(config=config, run=run)
    cached_client.cache_clear()
