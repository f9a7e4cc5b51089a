"""Batch scoring runs the bundle's ONNX model when it has one, and scores as the scikit-learn pipeline would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from batch.score import score_frame
from lightship.bundle.model_bundle import ModelBundle, load_bundle

PROBA_ATOL = 1e-4  # float32 ONNX against float64 scikit-learn (lightship/training/onnx_export.py says why)


def test_a_chunk_is_scored_with_onnx_as_with_scikit_learn(bundle: ModelBundle, bundle_dir: Path, batch_frame: pd.DataFrame) -> None:
    reference = load_bundle(bundle_dir, runtime="sklearn")
    frame = batch_frame.head(1500)
    assert bundle.runtime == "onnx" and reference.runtime == "sklearn"

    onnx = score_frame(frame, bundle, 3, "run-onnx")
    sklearn = score_frame(frame, reference, 3, "run-sklearn")

    assert len(onnx.scored) == len(sklearn.scored) > 1000 and len(onnx.rejects) == len(sklearn.rejects)
    assert onnx.scored["prediction"].tolist() == sklearn.scored["prediction"].tolist()
    probability_columns = [c for c in sklearn.scored.columns if c.startswith("probability_")]
    assert probability_columns == ["probability_0", "probability_1"]
    assert [c for c in onnx.scored.columns if c.startswith("probability_")] == probability_columns
    delta = np.abs(onnx.scored[probability_columns].to_numpy() - sklearn.scored[probability_columns].to_numpy())
    assert float(delta.max()) <= PROBA_ATOL
    # The prediction sketch bins probabilities: float32 rounding may move a value across an edge, rarely.
    assert onnx.sketch.prediction is not None and sklearn.sketch.prediction is not None
    moved = np.abs(np.asarray(onnx.sketch.prediction.bins) - np.asarray(sklearn.sketch.prediction.bins)).sum()
    assert moved <= 2
