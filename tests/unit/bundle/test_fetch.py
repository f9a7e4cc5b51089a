"""One fetch of a packed bundle from S3, for every reader: the bytes as stored, loaded with the runtime asked for."""

from __future__ import annotations

from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lightship.bundle.fetch import fetch_bundle, fetch_bundle_bytes
from lightship.bundle.model_bundle import load_bundle, pack_bundle
from lightship.training.data import load_training_data
from lightship.training.features import frame_to_rows
from lightship.training.run import train, write


def test_a_bundle_in_s3_is_fetched_as_stored_and_loads_as_the_local_one(
    tmp_path: Path, customers_csv: Path, customers_frame: pd.DataFrame
) -> None:
    directory = write(train(load_training_data(customers_csv, "churned"), "logistic", {}), tmp_path / "model")
    packed = pack_bundle(directory)
    local = load_bundle(directory)
    rows = frame_to_rows(customers_frame.head(20), local.schema)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        s3.put_object(Bucket="artifacts", Key="models/job-1/output/model.tar.gz", Body=packed)
        url = "s3://artifacts/models/job-1/output/model.tar.gz"

        assert fetch_bundle_bytes(s3, url) == packed
        fetched = fetch_bundle(s3, url)
        assert fetched.runtime == local.runtime == "onnx"
        np.testing.assert_allclose(fetched.predict_rows(rows)[1], local.predict_rows(rows)[1])
        assert fetch_bundle(s3, url, runtime="sklearn").runtime == "sklearn"

        with pytest.raises(ClientError, match="NoSuchKey"):
            fetch_bundle(s3, "s3://artifacts/models/job-2/output/model.tar.gz")
    with pytest.raises(ValueError, match="not an s3:// address"):
        fetch_bundle_bytes(None, str(tmp_path / "model.tar.gz"))
