"""Training converts every model kind to ONNX and proves parity; a model that cannot be converted,
or that misses parity, is served by scikit-learn and the bundle says why.

Each (model, task) is trained once per module on a small table. Parity is checked here on rows
the model never saw (another seed of the generated table, with missing numbers and categories,
an unseen category), against the scikit-learn pipeline of the same bundle: the reference is
scikit-learn's own answer, never the code under test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lightship.bundle.model_bundle import MANIFEST, ONNX_FILE, ModelBundle, load_bundle
from lightship.datasets import customers
from lightship.demo.faulty_model import FaultyModel
from lightship.errors import BundleError
from lightship.training import onnx_export
from lightship.training.data import TrainingData
from lightship.training.features import frame_to_rows
from lightship.training.run import TrainingResult, train, write

KINDS = ("logistic", "random_forest", "hist_gradient_boosting")
# (task, target): binary 0/1, three string classes, and a number.
TARGETS = {"binary": ("classification", "churned"), "multiclass": ("classification", "plan"), "regression": ("regression", "age")}
PROBA_ATOL = 1e-4  # the tolerance onnx_export documents and justifies; restated here, not imported
REGRESSION_RTOL = 1e-4


def _data(frame: pd.DataFrame, task: str, target: str) -> TrainingData:
    frame = frame[frame[target].notna()].reset_index(drop=True)
    return TrainingData(frame, target, task, ("customers.csv",), "0" * 64, len(frame), 0)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def unseen() -> pd.DataFrame:
    """Rows no model trained on: missing values in numbers and categories, and a region never seen."""
    frame = customers(rows=300, seed=99, missing_rate=0.15)
    frame.loc[:9, "region"] = "atlantis"
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[TrainingResult, Path]]:
    frame = customers(rows=600, seed=3, missing_rate=0.1)
    out: dict[tuple[str, str], tuple[TrainingResult, Path]] = {}
    for kind in KINDS:
        for name, (task, target) in TARGETS.items():
            params: dict[str, Any] = {"max_iter": 30} if kind == "hist_gradient_boosting" else {}
            if kind == "random_forest":
                params = {"n_estimators": 30}
            result = train(_data(frame, task, target), kind, params)
            out[(kind, name)] = (result, write(result, tmp_path_factory.mktemp(f"{kind}-{name}") / "model"))
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_every_classifier_converts_and_answers_unseen_rows_as_scikit_learn_does(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]], unseen: pd.DataFrame, kind: str, target: str
) -> None:
    result, directory = trained[(kind, target)]
    onnx, reference = load_bundle(directory), load_bundle(directory, runtime="sklearn")
    assert onnx.runtime == "onnx" and onnx.fallback_reason is None
    rows = frame_to_rows(unseen, result.schema)

    labels, proba = onnx.predict_rows(rows)
    expected_proba = result.pipeline.predict_proba(rows)
    expected_labels = result.pipeline.classes_[np.argmax(expected_proba, axis=1)]

    assert labels.tolist() == expected_labels.tolist()
    assert proba is not None and proba.shape == expected_proba.shape
    assert float(np.max(np.abs(proba - expected_proba))) <= PROBA_ATOL
    assert onnx.classes is not None and onnx.classes.tolist() == result.pipeline.classes_.tolist()
    assert reference.predict_rows(rows)[0].tolist() == expected_labels.tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_every_regressor_converts_within_a_relative_tolerance(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]], unseen: pd.DataFrame, kind: str
) -> None:
    result, directory = trained[(kind, "regression")]
    bundle = load_bundle(directory)
    rows = frame_to_rows(unseen, result.schema)

    predictions, proba = bundle.predict_rows(rows)
    expected = result.pipeline.predict(rows)

    assert bundle.runtime == "onnx" and proba is None
    assert float(np.max(np.abs(predictions - expected))) <= REGRESSION_RTOL * float(np.max(np.abs(expected)))


def test_the_parity_evidence_is_in_evaluation_and_the_onnx_file_in_the_manifest(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]],
) -> None:
    result, directory = trained[("random_forest", "binary")]
    evaluation = json.loads((directory / "evaluation.json").read_text())
    manifest = json.loads((directory / MANIFEST).read_text())

    parity = evaluation["onnx"]["parity"]
    assert evaluation["onnx"]["runtime"] == "onnx" and evaluation["onnx"]["reason"] is None
    assert parity["passed"] is True and parity["labels_differing"] == 0
    assert parity["rows"] == evaluation["data"]["holdout_rows"]
    assert 0 <= parity["max_abs_proba_diff"] <= PROBA_ATOL
    assert manifest["runtime"] == "onnx" and manifest["classes"] == [0, 1]
    assert manifest["files"][ONNX_FILE] == hashlib.sha256((directory / ONNX_FILE).read_bytes()).hexdigest()


def test_an_onnx_bundle_loads_without_unpickling_and_whatever_scikit_learn_made_it(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]], tmp_path: Path, unseen: pd.DataFrame
) -> None:
    result, directory = trained[("logistic", "binary")]
    copy = _copy(directory, tmp_path)
    _rewrite(copy, "model.joblib", b"not a pickle", sklearn_version="0.24.2")

    bundle = load_bundle(copy)

    assert bundle.runtime == "onnx"
    assert bundle.predict_rows(frame_to_rows(unseen, result.schema))[0].tolist() == result.pipeline.predict(
        frame_to_rows(unseen, result.schema)).tolist()
    with pytest.raises(AttributeError, match="loaded with ONNX Runtime"):
        _ = bundle.pipeline


def test_a_model_that_cannot_be_converted_is_served_by_scikit_learn_with_the_reason(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]], unseen: pd.DataFrame
) -> None:
    result, _ = trained[("logistic", "binary")]
    export = onnx_export.export_onnx(FaultyModel(result.pipeline, 0.0), result.schema, frame_to_rows(unseen, result.schema))

    assert export.model is None
    assert export.report["runtime"] == "sklearn"
    assert export.reason is not None and export.reason.startswith("conversion failed: NotConvertible: not a Lightship pipeline")


def test_a_model_that_misses_parity_is_not_shipped_and_the_bundle_falls_back_loudly(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]], unseen: pd.DataFrame, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, _ = trained[("logistic", "binary")]
    rows = frame_to_rows(unseen, result.schema)
    monkeypatch.setattr(onnx_export, "PROBA_TOLERANCE", 0.0)  # float32 never matches float64 exactly

    export = onnx_export.export_onnx(result.pipeline, result.schema, rows)

    assert export.model is None and export.report["parity"]["passed"] is False
    assert export.reason is not None and export.reason.startswith("parity failed on the holdout: max |Δ probability|")
    failed = TrainingResult(result.pipeline, result.schema, result.profile, {**result.evaluation, "onnx": export.report}, export)
    directory = write(failed, tmp_path / "model")
    bundle = load_bundle(directory)
    assert not (directory / ONNX_FILE).exists()
    assert bundle.runtime == "sklearn" and bundle.fallback_reason == export.reason
    with pytest.raises(BundleError, match="no ONNX model to serve"):
        load_bundle(directory, runtime="onnx")


def test_an_onnx_model_onnx_runtime_refuses_falls_back_to_scikit_learn(
    trained: dict[tuple[str, str], tuple[TrainingResult, Path]], tmp_path: Path
) -> None:
    _, directory = trained[("logistic", "regression")]
    copy = _copy(directory, tmp_path)
    _rewrite(copy, ONNX_FILE, b"not an onnx model")

    bundle = load_bundle(copy)

    assert bundle.runtime == "sklearn"
    assert bundle.fallback_reason is not None and bundle.fallback_reason.startswith("ONNX Runtime could not load model.onnx")


def test_the_demo_faulty_model_is_written_without_onnx(trained: dict[tuple[str, str], tuple[TrainingResult, Path]], tmp_path: Path) -> None:
    result, _ = trained[("logistic", "binary")]
    faulty = TrainingResult(FaultyModel(result.pipeline, 1.0), result.schema, result.profile, dict(result.evaluation), result.onnx)
    faulty.without_onnx("demo: faulty")

    bundle: ModelBundle = load_bundle(write(faulty, tmp_path / "model"))

    assert bundle.runtime == "sklearn" and bundle.fallback_reason == "demo: faulty"
    assert bundle.evaluation["onnx"]["reason"] == "demo: faulty"


def _copy(directory: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    target.mkdir()
    for path in directory.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def _rewrite(directory: Path, name: str, content: bytes, **manifest_fields: Any) -> None:
    """Replace a file and keep the manifest consistent with it (the checksum is not what is tested)."""
    (directory / name).write_bytes(content)
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["files"][name] = hashlib.sha256(content).hexdigest()
    manifest.update(manifest_fields)
    (directory / MANIFEST).write_text(json.dumps(manifest))
