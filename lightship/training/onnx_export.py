"""Converting a fitted pipeline to ONNX, and proving on the holdout that it answers as the pipeline does.

:func:`export_onnx` converts the pipeline :func:`lightship.training.models.build_pipeline`
makes (skl2onnx), runs the result in ONNX Runtime through the same
:class:`~lightship.bundle.predictors.OnnxPredictor` serving and batch use, and compares it
with the scikit-learn pipeline on the holdout rows. The model goes into the bundle only if
it passes; either way the report (evaluation.json's ``onnx``) says what was measured and,
on failure, why serving will use scikit-learn instead.

The conversion differs from the pipeline in one step, on purpose: the categorical imputer
(skl2onnx refuses a string ``SimpleImputer`` on NaN, and a string tensor cannot hold NaN) is
left out, and the ONNX model's input gets the imputer's sentinel
(:data:`~lightship.bundle.row_contract.MISSING_CATEGORY`) from the predictor instead. The
two inputs are a float32 tensor of the numeric columns and a string tensor of the
categorical ones, so the column transformer's positions are renumbered to theirs.

Tolerances, checked on the holdout:

* classification: identical labels, and max |Δ probability| ≤ :data:`PROBA_TOLERANCE` (1e-4).
  ONNX computes in float32 (ε ≈ 1.2e-7); a probability is a sum of up to a few hundred float32
  terms (100 trees, or 1 + one-hot and numeric coefficients) passed through a logistic or a
  softmax, each term rounded once, so the worst accumulated error is a few hundred ε ≈ 4e-5.
  1e-4 is that bound with room; measured on the customers data: 1–3e-7. A difference of 1e-4
  changes no decision anyone makes on a probability; a bug (a wrong column, a lost imputer)
  shows up as 1e-2 or more.
* regression: max |Δ| ≤ :data:`REGRESSION_RTOL` (1e-4) × the largest |prediction| on the
  holdout: the same float32 argument, relative to the scale of the sums (measured: 1–2e-7).

Called by :func:`lightship.training.run.train`; needs skl2onnx (training only, never serving).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from lightship.bundle.predictors import CATEGORICAL_INPUT, NUMERIC_INPUT, OnnxPredictor, SklearnPredictor
from lightship.bundle.row_contract import MISSING_CATEGORY
from lightship.bundle.schema import FeatureSchema

PROBA_TOLERANCE = 1e-4
REGRESSION_RTOL = 1e-4
PROBABILITIES_OUTPUT = "probabilities"


@dataclass
class OnnxExport:
    """The converted model when it passed parity (else None), and the report for evaluation.json."""

    model: bytes | None
    output: str | None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """Why there is no ONNX model (None when there is one)."""
        reason = self.report.get("reason")
        return str(reason) if reason is not None else None

    @classmethod
    def skipped(cls, reason: str) -> OnnxExport:
        return cls(None, None, {"runtime": "sklearn", "reason": reason, "versions": _versions()})


class NotConvertible(ValueError):
    """The pipeline is not one :func:`lightship.training.models.build_pipeline` makes."""


def export_onnx(pipeline: Any, schema: FeatureSchema, holdout: np.ndarray) -> OnnxExport:
    """Convert, check parity on ``holdout`` (rows in schema order), and report."""
    versions = _versions()
    try:
        onnx_model, output = convert(pipeline, schema)
    except Exception as exc:  # noqa: BLE001 - any converter failure means scikit-learn serves, with the reason
        return OnnxExport(None, None, {"runtime": "sklearn", "reason": f"conversion failed: {_say(exc)}", "versions": versions})
    try:
        onnx = OnnxPredictor(onnx_model, schema, _classes(pipeline, schema), output)
        parity = check_parity(SklearnPredictor(pipeline, schema.task), onnx, holdout)
    except Exception as exc:  # noqa: BLE001
        reason = f"ONNX Runtime failed on the holdout: {_say(exc)}"
        return OnnxExport(None, None, {"runtime": "sklearn", "reason": reason, "versions": versions})
    report: dict[str, Any] = {"runtime": "onnx", "reason": None, "parity": parity, "versions": versions,
                              "size_bytes": len(onnx_model)}
    if not parity["passed"]:
        report.update(runtime="sklearn", reason=f"parity failed on the holdout: {parity['failure']}")
        return OnnxExport(None, None, report)
    return OnnxExport(onnx_model, output, report)


def convert(pipeline: Any, schema: FeatureSchema) -> tuple[bytes, str]:
    """``model.onnx`` bytes for a fitted Lightship pipeline, and the name of the output to read."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or [name for name, _ in pipeline.steps] != ["features", "model"]:
        raise NotConvertible(f"not a Lightship pipeline (features, model): {type(pipeline).__name__}")
    twin = copy.deepcopy(pipeline)
    features = twin.named_steps["features"]
    if not isinstance(features, ColumnTransformer):
        raise NotConvertible("the features step is not a ColumnTransformer")
    numeric, categorical = schema.numeric_indices, schema.categorical_indices
    renumbered = []
    for name, transformer, columns in features.transformers_:
        if name == "numeric":
            renumbered.append((name, transformer, list(range(len(numeric)))))
        elif name == "categorical":
            renumbered.append((name, _without_imputer(transformer), list(range(len(numeric), len(numeric) + len(categorical)))))
        elif transformer == "drop":
            continue
        else:
            raise NotConvertible(f"unexpected column transformer step {name!r}")
    features.transformers_ = renumbered
    inputs: list[tuple[str, Any]] = []
    if numeric:
        inputs.append((NUMERIC_INPUT, FloatTensorType([None, len(numeric)])))
    if categorical:
        inputs.append((CATEGORICAL_INPUT, StringTensorType([None, len(categorical)])))
    estimator = twin.named_steps["model"]
    options = {id(estimator): {"zipmap": False}} if schema.task == "classification" else None
    with warnings.catch_warnings():
        # onnx's helper warns about booleans in int attributes skl2onnx 1.20 writes (tree modes); harmless here.
        warnings.simplefilter("ignore", DeprecationWarning)
        model = convert_sklearn(twin, initial_types=inputs, options=options)
    outputs = [o.name for o in model.graph.output]
    if schema.task == "classification":
        if PROBABILITIES_OUTPUT not in outputs:
            raise NotConvertible(f"the converted classifier has no {PROBABILITIES_OUTPUT!r} output: {outputs}")
        return model.SerializeToString(), PROBABILITIES_OUTPUT
    if len(outputs) != 1:
        raise NotConvertible(f"the converted regressor has {len(outputs)} outputs: {outputs}")
    return model.SerializeToString(), outputs[0]


def check_parity(reference: SklearnPredictor, onnx: OnnxPredictor, rows: np.ndarray) -> dict[str, Any]:
    """The evidence: both runtimes on the same rows, and whether they agree within the tolerances."""
    expected, expected_proba = reference.predict_rows(rows)
    got, got_proba = onnx.predict_rows(rows)
    evidence: dict[str, Any] = {"rows": len(rows)}
    failures = []
    if expected_proba is not None and got_proba is not None:
        delta = float(np.max(np.abs(expected_proba - got_proba))) if len(rows) else 0.0
        differing = int(np.sum(np.asarray(expected) != np.asarray(got)))
        evidence.update(labels_differing=differing, max_abs_proba_diff=delta, proba_tolerance=PROBA_TOLERANCE)
        if differing:
            failures.append(f"{differing} of {len(rows)} labels differ")
        if not delta <= PROBA_TOLERANCE:
            failures.append(f"max |Δ probability| {delta:.3g} > {PROBA_TOLERANCE:g}")
    else:
        expected_f = np.asarray(expected, dtype=float)
        scale = float(np.max(np.abs(expected_f))) if len(rows) else 0.0
        delta = float(np.max(np.abs(expected_f - np.asarray(got, dtype=float)))) if len(rows) else 0.0
        allowed = REGRESSION_RTOL * max(scale, float(np.finfo(np.float32).tiny))
        evidence.update(max_abs_diff=delta, max_abs_prediction=scale, rtol=REGRESSION_RTOL, allowed_abs_diff=allowed)
        if not delta <= allowed:
            failures.append(f"max |Δ| {delta:.3g} > {REGRESSION_RTOL:g} × max |prediction| {scale:.3g}")
    evidence["passed"] = not failures
    evidence["failure"] = "; ".join(failures) or None
    return evidence


def _without_imputer(transformer: Any) -> Any:
    """The categorical transformer minus its sentinel imputer (the predictor writes the sentinel)."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline

    steps = getattr(transformer, "steps", None)
    if not isinstance(transformer, Pipeline) or steps is None or len(steps) != 2:
        raise NotConvertible("the categorical step is not (impute, encode)")
    imputer = steps[0][1]
    if not (isinstance(imputer, SimpleImputer) and imputer.strategy == "constant" and imputer.fill_value == MISSING_CATEGORY):
        raise NotConvertible(f"the categorical imputer does not fill {MISSING_CATEGORY!r}")
    return steps[1][1]


def _classes(pipeline: Any, schema: FeatureSchema) -> list[Any] | None:
    if schema.task != "classification":
        return None
    return [c.item() if isinstance(c, np.generic) else c for c in pipeline.classes_]


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in ("skl2onnx", "onnx", "onnxruntime"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _say(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__
