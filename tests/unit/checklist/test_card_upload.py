"""``lightship train`` carries a model_card.json found next to a local data file to S3 beside the data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lightship.errors import LightshipError
from lightship.resources import resources_for
from lightship.settings import Settings
from lightship.training.workflow import TrainRequest, stage_data


class RecordingS3:
    def __init__(self) -> None:
        self.uploads: list[tuple[str, str, str]] = []

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        self.uploads.append((Path(filename).name, bucket, key))


def _data(folder: Path, customers_frame: pd.DataFrame) -> Path:
    path = folder / "customers.csv"
    customers_frame.to_csv(path, index=False)
    return path


def test_the_card_next_to_the_data_lands_beside_the_data_prefix(tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    settings = Settings()
    resources = resources_for(settings, "123456789012")
    data = _data(tmp_path, customers_frame)
    (tmp_path / "model_card.json").write_text('{"intended_use": "retention calls"}')
    s3 = RecordingS3()
    prefix = stage_data(TrainRequest(data=str(data), target="churned", model="logistic", params={}), settings, resources, s3, lambda _: None)
    assert s3.uploads[0] == ("customers.csv", resources.data_bucket, f"{prefix.key}/customers.csv")
    assert s3.uploads[1] == ("model_card.json", resources.data_bucket, "training/customers/model_card.json")
    assert prefix.key.rsplit("/", 1)[0] == "training/customers"


def test_a_bad_card_is_refused_naming_it_before_any_upload(tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    settings = Settings()
    data = _data(tmp_path, customers_frame)
    (tmp_path / "model_card.json").write_text('{"intended_uses": "typo"}')
    s3 = RecordingS3()
    with pytest.raises(LightshipError, match=r"model_card.json: unknown field\(s\) intended_uses"):
        stage_data(TrainRequest(data=str(data), target="churned", model="logistic", params={}), settings,
                   resources_for(settings, "123456789012"), s3, lambda _: None)
    assert s3.uploads == []
