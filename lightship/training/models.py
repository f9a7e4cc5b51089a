"""The scikit-learn pipelines Lightship trains: preprocessing plus one of three estimators.

Preprocessing selects columns by position (the schema order), imputes missing values,
scales numbers (for the linear models only) and one-hot encodes categories, ignoring
categories unseen in training. Every pipeline built here converts to ONNX
(:mod:`lightship.training.onnx_export`).
``--param key=value`` values reach the estimator through ``set_params``. Which names are
accepted is decided here once (:func:`accepted_params`): ``lightship train`` checks them
before it uploads or launches anything, and ``training_jobs/train.py`` checks them again
inside the job through :func:`build_pipeline`; an unknown name is refused with the list.
"""

from __future__ import annotations

import json
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lightship.bundle.row_contract import MISSING_CATEGORY
from lightship.bundle.schema import FeatureSchema, Task
from lightship.errors import DataError
from lightship.settings import MODEL_NAMES

TASKS: tuple[Task, ...] = ("classification", "regression")
# Hyperparameters the launcher sets from ``lightship train``'s own options; train.py reads these
# and hands the rest to the estimator. A ``--param`` with one of these names would overwrite them.
RESERVED_HYPERPARAMETERS = frozenset({"target", "model", "task", "seed", "holdout_fraction", "profile_bins",
                                      "segments", "segment_confidence"})


def make_estimator(model: str, task: Task, seed: int) -> BaseEstimator:
    classify = task == "classification"
    if model == "logistic":
        # Ridge is the regression counterpart of a regularised linear classifier.
        return LogisticRegression(max_iter=2000, random_state=seed) if classify else Ridge(random_state=seed)
    if model == "random_forest":
        cls = RandomForestClassifier if classify else RandomForestRegressor
        # n_jobs=1: SageMaker instances and Lambda are small; threads oversubscribe them.
        return cls(n_estimators=100, max_depth=10, n_jobs=1, random_state=seed)
    if model == "hist_gradient_boosting":
        cls2 = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return cls2(random_state=seed)
    raise DataError(f"unknown model '{model}'; choose one of {', '.join(MODEL_NAMES)}")


def accepted_params(model: str, task: Task | None) -> list[str]:
    """The names ``--param`` may set for ``model``: its estimator's parameters for ``task``
    (for either task while the task is not known yet, e.g. data on S3 without ``--task``)."""
    names: set[str] = set()
    for each in (task,) if task else TASKS:
        names |= set(make_estimator(model, each, seed=0).get_params(deep=False))
    return sorted(names - RESERVED_HYPERPARAMETERS)


def check_params(model: str, params: dict[str, Any], task: Task | None) -> None:
    """Refuse, in one line, any parameter name the training job would refuse."""
    accepted = accepted_params(model, task)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        for_task = f" ({task})" if task else ""
        raise DataError(
            f"unknown parameter(s) {', '.join(unknown)} for model '{model}'{for_task}; valid: {', '.join(accepted)}"
        )


def build_pipeline(schema: FeatureSchema, model: str, params: dict[str, Any], seed: int) -> Pipeline:
    check_params(model, params, schema.task)
    estimator = make_estimator(model, schema.task, seed)
    try:
        estimator.set_params(**params)
    except (TypeError, ValueError) as exc:
        raise DataError(f"bad parameter for model '{model}': {exc}") from exc
    transformers = []
    if schema.numeric_indices:
        steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
        if model == "logistic":
            # Trees split on thresholds, so scaling changes nothing for them but their ONNX parity:
            # scaled in float32 (ONNX) a value near a split lands on the other side of it more often
            # than the raw value cast to float32, which is what scikit-learn's trees compare
            # (max |Δp| 0.08 for a random forest with the scaler, 3e-7 without; bench/README.md).
            steps.append(("scale", StandardScaler()))
        transformers.append(("numeric", Pipeline(steps), schema.numeric_indices))
    if schema.categorical_indices:
        categorical = Pipeline(
            [
                # The ONNX model has no such step: its input already holds the sentinel for a missing category.
                ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
                ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False, max_categories=50)),
            ]
        )
        transformers.append(("categorical", categorical, schema.categorical_indices))
    features = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline([("features", features), ("model", estimator)])


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["max_depth=3", "learning_rate=0.1", "class_weight=balanced"]`` to typed values."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise DataError(f"--param '{pair}' is not key=value")
        params[key.strip()] = parse_value(raw.strip())
    return params


def parse_value(raw: str) -> Any:
    """JSON where it parses (numbers, true/false, null, lists), the plain string otherwise."""
    if raw in {"None", "none"}:
        return None
    if raw in {"True", "False"}:
        return raw == "True"
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw
