"""Serving runs the bundle's ONNX model and answers as the scikit-learn pipeline would; a bundle
served by scikit-learn is announced (a warning with the reason, and a metric)."""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lightship import observability as names
from lightship.bundle.model_bundle import ModelBundle, load_bundle
from lightship.serving.metrics import ServingMetrics
from lightship.serving.runtime import announce_fallback
from lightship.training.features import frame_to_rows
from tests.unit.serving.conftest import Harness

PROBA_ATOL = 1e-4  # float32 ONNX against float64 scikit-learn (lightship/training/onnx_export.py says why)


def _instances(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON instances as a client sends them: null for a missing value."""
    features = frame.drop(columns=["churned"])
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in features.to_dict(orient="records")]


def test_the_app_answers_with_onnx_as_the_scikit_learn_pipeline_does_on_the_same_rows(
    harness: Harness, customers_bundle: ModelBundle, customers_reference: ModelBundle, customers_frame: pd.DataFrame
) -> None:
    assert customers_bundle.runtime == "onnx"
    sample = customers_frame.sample(50, random_state=5)  # includes missing numbers and categories
    assert sample[["plan", "region"]].isna().any().any() and sample[["age", "monthly_spend"]].isna().any().any()

    response = TestClient(harness.app).post("/v1/predict", json={"instances": _instances(sample)})

    assert response.status_code == 200, response.text
    body = response.json()
    # Rows as training builds them (pandas), so the reference does not share the serving encoder.
    expected = customers_reference.pipeline.predict_proba(frame_to_rows(sample, customers_reference.schema))
    assert body["predictions"] == customers_reference.pipeline.classes_[expected.argmax(axis=1)].tolist()
    assert float(np.max(np.abs(np.asarray(body["probabilities"]) - expected))) <= PROBA_ATOL


def test_a_bundle_served_by_scikit_learn_is_logged_with_its_reason_and_counted(
    harness: Harness, customers_bundle_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = harness.holder.current()
    assert live is not None
    documents: list[dict[str, Any]] = []
    metrics = ServingMetrics(sinks=[documents.append])
    fallback = load_bundle(customers_bundle_dir, runtime="sklearn")
    fallback.fallback_reason = "parity failed on the holdout: (test)"

    with caplog.at_level(logging.INFO):
        announce_fallback(live, metrics)  # ONNX: nothing to say
        assert documents == [] and not caplog.records
        announce_fallback(type(live)(live.deployment, fallback, live.encoder, live.classes, live.loaded_at, 0.0), metrics)

    warnings = [r for r in caplog.records if r.getMessage() == "serving with scikit-learn, not ONNX Runtime"]
    assert [(r.levelname, getattr(r, "reason", None)) for r in warnings] == [("WARNING", "parity failed on the holdout: (test)")]
    assert [d[names.SKLEARN_FALLBACKS] for d in documents if names.SKLEARN_FALLBACKS in d] == [[1.0]]


def test_a_number_beyond_float32_is_scored_finite_and_labelled_as_scikit_learn_does(
    customers_bundle: ModelBundle, customers_reference: ModelBundle, customers_frame: pd.DataFrame
) -> None:
    """The out-of-range policy may accept 1e308; cast to float32 it would be inf (and NaN after scaling)."""
    rows = frame_to_rows(customers_frame.head(4), customers_reference.schema)
    for column in customers_reference.schema.numeric_indices:  # inf in several features: inf - inf is NaN
        rows[:, column] = [1e308, -1e308, 1e39, -1e39]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even an overflow warning per request
        labels, proba = customers_bundle.predict_rows(rows)
    expected = customers_reference.pipeline.predict_proba(rows)
    assert proba is not None and np.isfinite(proba).all()
    assert labels.tolist() == customers_reference.pipeline.classes_[expected.argmax(axis=1)].tolist()


def test_the_model_route_says_which_runtime_answers_and_why_scikit_learn_does(harness: Harness, customers_bundle_dir: Path) -> None:
    live = harness.holder.current()
    assert live is not None
    api = TestClient(harness.app)
    assert (api.get("/v1/model").json()["runtime"], api.get("/v1/model").json()["runtime_reason"]) == ("onnx", None)

    fallback = load_bundle(customers_bundle_dir, runtime="sklearn")
    fallback.fallback_reason = "parity failed on the holdout: (test)"
    harness.holder._live = dataclasses.replace(live, bundle=fallback)
    body = api.get("/v1/model").json()
    assert (body["runtime"], body["runtime_reason"]) == ("sklearn", "parity failed on the holdout: (test)")
