"""One training run: split, fit, evaluate, convert to ONNX (with parity on the holdout), profile, and write the bundle.

Deterministic: the same data, model, parameters and seed give the same holdout,
the same fitted model, the same metrics and the same predictions.
Called by ``training_jobs/train.py`` (inside SageMaker or the local emulator) and by tests.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

from lightship.bundle.model_bundle import write_bundle
from lightship.bundle.profile import BaselineProfile, CategoricalProfile, FeatureProfile, NumericProfile
from lightship.bundle.schema import FeatureSchema
from lightship.quality.calibration import fit_calibration
from lightship.training.data import TrainingData
from lightship.training.evaluate import evaluate
from lightship.training.features import frame_to_rows, infer_schema
from lightship.training.models import build_pipeline
from lightship.training.onnx_export import OnnxExport, export_onnx
from lightship.training.segments import check_segment_columns, segment_metrics


@dataclass
class TrainingResult:
    pipeline: Any
    schema: FeatureSchema
    profile: BaselineProfile
    evaluation: dict[str, Any]
    onnx: OnnxExport
    calibration: dict[str, Any] | None = None

    def without_onnx(self, reason: str) -> None:
        """Serve this result with scikit-learn (the pipeline was replaced after conversion, as the demo's faulty model)."""
        self.onnx = OnnxExport.skipped(reason)
        self.evaluation["onnx"] = self.onnx.report


def train(
    data: TrainingData,
    model: str,
    params: dict[str, Any],
    seed: int = 42,
    holdout_fraction: float = 0.2,
    profile_bins: int = 20,
    segments: list[str] | None = None,
    segment_confidence: float = 0.95,
) -> TrainingResult:
    frame = data.frame
    if segments:
        check_segment_columns(frame, data.target, segments)
    schema = infer_schema(frame, data.target, data.task)
    rows = frame_to_rows(frame, schema)
    y = _target(frame[data.target].to_numpy(), schema)
    stratify = y if schema.task == "classification" and np.unique(y, return_counts=True)[1].min() >= 2 else None
    # The row positions ride along (the split depends only on the row count, seed and stratify,
    # so adding them changes nothing): they pick each holdout row's segment values.
    x_train, x_test, y_train, y_test, _, test_index = train_test_split(
        rows, y, np.arange(len(rows)), test_size=holdout_fraction, random_state=seed, stratify=stratify
    )
    pipeline = build_pipeline(schema, model, params, seed)
    pipeline.fit(x_train, y_train)

    classes = getattr(pipeline, "classes_", None)
    proba = pipeline.predict_proba(x_test) if schema.task == "classification" else None
    y_pred = classes[np.argmax(proba, axis=1)] if proba is not None and classes is not None else pipeline.predict(x_test)
    metrics = evaluate(schema.task, y_test, y_pred, proba, classes)
    onnx = export_onnx(pipeline, schema, x_test)
    # The calibrator CBPE needs (lightship.quality): Platt scaling on the holdout, binary classifiers only.
    calibration = (fit_calibration(proba[:, 1], y_test == classes[1], classes[1])
                   if proba is not None and classes is not None and len(classes) == 2 else None)

    profile = baseline_profile(pipeline, schema, frame, rows, profile_bins)
    evaluation = {
        "task": schema.task,
        "target": data.target,
        "model": model,
        "hyperparameters": params,
        "seed": seed,
        "holdout_fraction": holdout_fraction,
        "metrics": metrics,
        "data": {
            "files": [Path(f).name for f in data.files],
            "sha256": data.sha256,
            "rows_read": data.rows_read,
            "rows_without_target": data.rows_without_target,
            "train_rows": int(len(y_train)),
            "holdout_rows": int(len(y_test)),
            "features": len(schema.features),
        },
        "environment": {"sklearn_version": sklearn.__version__, "python_version": platform.python_version()},
        "onnx": onnx.report,
    }
    if segments:
        holdout_values = {name: frame[name].to_numpy()[test_index] for name in segments}
        evaluation["segments"] = segment_metrics(schema.task, holdout_values, y_test, y_pred, proba, classes, segment_confidence)
    return TrainingResult(pipeline=pipeline, schema=schema, profile=profile, evaluation=evaluation, onnx=onnx,
                          calibration=calibration)


def baseline_profile(pipeline: Any, schema: FeatureSchema, frame: Any, rows: np.ndarray, bins: int) -> BaselineProfile:
    """Binned distributions of every feature and of the model's predictions on the training data."""
    features: dict[str, FeatureProfile] = {}
    for i, feature in enumerate(schema.features):
        column = rows[:, i]
        features[feature.name] = (
            NumericProfile.fit(column.astype(float), bins) if feature.kind == "numeric" else CategoricalProfile.fit(column)
        )
    return BaselineProfile(rows=len(rows), features=features, prediction=prediction_profile(pipeline, schema, rows, bins))


def prediction_profile(pipeline: Any, schema: FeatureSchema, rows: np.ndarray, bins: int) -> FeatureProfile:
    """Binary classifiers: the positive-class probability; multiclass: the predicted class; regression: the value."""
    if schema.task == "regression":
        return NumericProfile.fit(pipeline.predict(rows), bins)
    proba = pipeline.predict_proba(rows)
    if proba.shape[1] == 2:
        return NumericProfile.fit(proba[:, 1], bins)
    return CategoricalProfile.fit(pipeline.classes_[np.argmax(proba, axis=1)].astype(str))


def write(result: TrainingResult, model_dir: Path) -> Path:
    return write_bundle(model_dir, result.pipeline, result.schema, result.profile, result.evaluation,
                        onnx_model=result.onnx.model, onnx_output=result.onnx.output, onnx_fallback=result.onnx.reason,
                        calibration=result.calibration)


def _target(values: np.ndarray, schema: FeatureSchema) -> np.ndarray:
    if schema.task == "regression":
        return values.astype(float)
    return values
