"""The bundle round-trips, and refuses what it must: another scikit-learn, a tampered file, a non-bundle."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lightship.bundle.model_bundle import MANIFEST, load_bundle, pack_bundle
from lightship.errors import BundleError
from lightship.training.data import load_training_data
from lightship.training.features import frame_to_rows
from lightship.training.run import train, write


@pytest.fixture
def bundle_dir(tmp_path: Path, customers_csv: Path) -> Path:
    result = train(load_training_data(customers_csv, "churned"), "logistic", {})
    return write(result, tmp_path / "model")


def test_bundle_round_trips_from_directory_tarball_and_bytes(bundle_dir: Path, tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    packed = pack_bundle(bundle_dir)
    tarball = tmp_path / "model.tar.gz"
    tarball.write_bytes(packed)
    rows = frame_to_rows(customers_frame.head(20), load_bundle(bundle_dir).schema)
    outputs = [load_bundle(source).predict_rows(rows) for source in (bundle_dir, tarball, packed)]
    for predictions, proba in outputs[1:]:
        np.testing.assert_array_equal(predictions, outputs[0][0])
        np.testing.assert_allclose(proba, outputs[0][1])
    bundle = load_bundle(packed)
    assert bundle.schema.names == ["tenure_months", "monthly_spend", "support_calls", "age", "plan", "region"]
    assert bundle.manifest["sklearn_version"] == __import__("sklearn").__version__
    assert set(bundle.evaluation["metrics"]) >= {"roc_auc", "accuracy"}


def test_bundle_from_another_scikit_learn_version_fails_before_unpickling(bundle_dir: Path) -> None:
    manifest = json.loads((bundle_dir / MANIFEST).read_text())
    manifest["sklearn_version"] = "0.24.2"
    (bundle_dir / "model.joblib").write_bytes(b"not a pickle")  # proves nothing is unpickled
    manifest["files"]["model.joblib"] = hashlib.sha256(b"not a pickle").hexdigest()
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=r"trained with scikit-learn 0\.24\.2.*install scikit-learn==0\.24\.2"):
        load_bundle(bundle_dir, runtime="sklearn")


def test_tampered_model_file_is_refused(bundle_dir: Path) -> None:
    (bundle_dir / "model.joblib").write_bytes((bundle_dir / "model.joblib").read_bytes() + b"x")
    with pytest.raises(BundleError, match="model.joblib does not match its checksum"):
        load_bundle(bundle_dir)


def test_directory_without_manifest_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not a model bundle"):
        load_bundle(tmp_path)
    with pytest.raises(BundleError, match="not a readable model.tar.gz"):
        load_bundle(b"garbage")
