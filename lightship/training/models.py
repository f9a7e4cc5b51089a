"""The scikit-learn pipelines Lightship trains: preprocessing plus one of three estimators.

Preprocessing selects columns by position (the schema order), imputes missing values,
scales numbers and one-hot encodes categories, ignoring categories unseen in training.
``--param key=value`` values reach the estimator through ``set_params``; an unknown
name is refused with the list of valid ones.
"""

from __future__ import annotations

import json
from typing import Any, Literal

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

from lightship.bundle.schema import FeatureSchema, Task
from lightship.errors import DataError

ModelName = Literal["logistic", "random_forest", "hist_gradient_boosting"]
MODEL_NAMES: tuple[str, ...] = ("logistic", "random_forest", "hist_gradient_boosting")


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


def build_pipeline(schema: FeatureSchema, model: str, params: dict[str, Any], seed: int) -> Pipeline:
    estimator = make_estimator(model, schema.task, seed)
    valid = estimator.get_params(deep=False)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise DataError(
            f"unknown parameter(s) {', '.join(unknown)} for model '{model}'; valid: {', '.join(sorted(valid))}"
        )
    try:
        estimator.set_params(**params)
    except (TypeError, ValueError) as exc:
        raise DataError(f"bad parameter for model '{model}': {exc}") from exc
    transformers = []
    if schema.numeric_indices:
        numeric = Pipeline(
            [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("scale", StandardScaler())]
        )
        transformers.append(("numeric", numeric, schema.numeric_indices))
    if schema.categorical_indices:
        categorical = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
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
