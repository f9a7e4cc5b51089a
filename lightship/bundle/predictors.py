"""How a bundle's model answers: ONNX Runtime on ``model.onnx``, or the scikit-learn pipeline.

Both take what the row contract (:mod:`lightship.bundle.row_contract`) builds for a batch of
valid rows, an object array in schema order (floats for numbers, strings for categories, NaN
for a missing value), and return the predictions and, for classifiers, the class
probabilities in :attr:`Predictor.classes` order. :class:`OnnxPredictor` turns those rows into
the ONNX model's two inputs: a float32 tensor of the numeric columns (NaN stays NaN: the model
imputes it) and a string tensor of the categorical ones, with
:data:`~lightship.bundle.row_contract.MISSING_CATEGORY` where a category is missing (the one
step of the scikit-learn pipeline the ONNX model leaves out, see
:mod:`lightship.training.onnx_export`).

This module imports neither scikit-learn, scipy nor joblib, and ONNX Runtime only when a model
is loaded: the serving package holds ONNX Runtime and not scikit-learn. Built by
:func:`lightship.bundle.model_bundle.load_bundle`; training builds both to check their parity.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np

from lightship.bundle.row_contract import MISSING_CATEGORY
from lightship.bundle.schema import FeatureSchema

Runtime = Literal["onnx", "sklearn"]
NUMERIC_INPUT = "numeric"
CATEGORICAL_INPUT = "categorical"


class Predictor(Protocol):
    runtime: Runtime
    classes: np.ndarray | None  # classifiers: the columns of the probabilities

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]: ...


FLOAT32_MAX = float(np.finfo(np.float32).max)


class SklearnPredictor:
    """The fitted scikit-learn pipeline (the reference, and the fallback)."""

    runtime: Runtime = "sklearn"

    def __init__(self, pipeline: Any, task: str) -> None:
        self.pipeline = pipeline
        self.task = task
        self.classes = np.asarray(pipeline.classes_) if task == "classification" else None

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self.task == "classification":
            proba = self.pipeline.predict_proba(rows)
            classes = self.pipeline.classes_
            return classes[np.argmax(proba, axis=1)], proba
        return self.pipeline.predict(rows), None


class OnnxPredictor:
    """An ONNX Runtime session over ``model.onnx`` and the schema's column split."""

    runtime: Runtime = "onnx"

    def __init__(self, model: bytes, schema: FeatureSchema, classes: list[Any] | None, output: str) -> None:
        import onnxruntime as ort  # only here: importing it costs ~0.1 s, and a bundle without ONNX never needs it

        options = ort.SessionOptions()
        # One thread: a Lambda instance has about one vCPU at 2 GB, and batch chunks run side by side;
        # for a few rows a thread pool only adds hand-offs.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initializers are noise, errors still raise
        self.session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        self.task = schema.task
        self.numeric = schema.numeric_indices
        self.categorical = schema.categorical_indices
        self.output = output
        self.classes = np.asarray(classes) if schema.task == "classification" and classes is not None else None
        if schema.task == "classification" and self.classes is None:
            raise ValueError("a classifier's ONNX model needs its classes in the manifest")
        expected = {name for name, columns in ((NUMERIC_INPUT, self.numeric), (CATEGORICAL_INPUT, self.categorical)) if columns}
        found = {i.name for i in self.session.get_inputs()}
        if found != expected:
            raise ValueError(f"model.onnx takes inputs {sorted(found)}, the schema needs {sorted(expected)}")

    def inputs(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The model's feeds for rows in schema order (the row contract's model inputs)."""
        feeds: dict[str, np.ndarray] = {}
        if self.numeric:
            # float32 holds up to ~3.4e38: a larger number (accepted by the out-of-range policy) stays the
            # largest finite float32 rather than becoming inf, which scikit-learn's float64 never sees.
            numbers = np.asarray(rows[:, self.numeric], dtype=np.float64)
            feeds[NUMERIC_INPUT] = np.clip(numbers, -FLOAT32_MAX, FLOAT32_MAX).astype(np.float32)
        if self.categorical:
            categories = np.array(rows[:, self.categorical], dtype=object)
            # NaN is the contract's missing value (NaN != NaN); None never reaches a model, but costs nothing here.
            missing = (categories != categories) | (categories == None)  # noqa: E711 - elementwise, on objects
            if missing.any():
                categories[missing] = MISSING_CATEGORY
            feeds[CATEGORICAL_INPUT] = categories.astype(str)
        return feeds

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        (out,) = self.session.run([self.output], self.inputs(rows))
        if self.classes is not None:
            proba = np.asarray(out, dtype=np.float64)
            # Computed in float32, a row sums to 1 within ~1e-7; callers (and clients) expect a distribution.
            proba /= proba.sum(axis=1, keepdims=True)
            return self.classes[np.argmax(proba, axis=1)], proba
        return np.asarray(out, dtype=np.float64).ravel(), None
