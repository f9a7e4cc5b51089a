"""A real bundle trained in process on the generated customers table, for the batch unit tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lightship.bundle.model_bundle import ModelBundle, load_bundle
from lightship.datasets import customers
from lightship.training.data import load_training_data
from lightship.training.run import train, write


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> ModelBundle:
    root = tmp_path_factory.mktemp("bundle")
    data = root / "customers.csv"
    customers(rows=3000, seed=7).to_csv(data, index=False)
    result = train(load_training_data(data, "churned"), "logistic", {"C": 1.0})
    return load_bundle(write(result, Path(root) / "model"))


@pytest.fixture(scope="session")
def batch_frame() -> pd.DataFrame:
    return customers(rows=4000, seed=11).drop(columns=["churned"])
