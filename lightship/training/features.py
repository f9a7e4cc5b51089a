"""Inferring the feature schema from training data, and turning a frame into model rows.

The pipeline takes an object array whose columns are in schema order (numbers as
floats, categories as strings, missing as NaN); :func:`frame_to_rows` is how training
builds it from a DataFrame. Missing means what the row contract
(:mod:`lightship.bundle.row_contract`) says it means for serving and batch: null, NaN or
a blank string, so a blank category is never a category of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lightship.bundle.row_contract import is_blank
from lightship.bundle.schema import Feature, FeatureSchema, Task, finite_or_none


def infer_schema(frame: pd.DataFrame, target: str, task: Task) -> FeatureSchema:
    features = []
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        blank = _blank(column)
        nullable = bool(column.isna().any() or blank.any())
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            values = column[~blank].dropna().astype(str)
            features.append(
                Feature(
                    name=str(name),
                    kind="categorical",
                    dtype=str(column.dtype),
                    nullable=nullable,
                    categories=tuple(sorted(values.unique().tolist())),
                )
            )
        else:
            numbers = column.astype(float)
            features.append(
                Feature(
                    name=str(name),
                    kind="numeric",
                    dtype=str(column.dtype),
                    nullable=nullable,
                    minimum=finite_or_none(numbers.min()),
                    maximum=finite_or_none(numbers.max()),
                )
            )
    classes: tuple[object, ...] = ()
    if task == "classification":
        classes = tuple(_plain(v) for v in sorted(frame[target].dropna().unique().tolist(), key=str))
    return FeatureSchema(features=tuple(features), target=target, task=task, classes=classes)


def frame_to_rows(frame: pd.DataFrame, schema: FeatureSchema) -> np.ndarray:
    """An object array in schema order: floats for numbers, strings for categories, NaN for missing."""
    rows = np.empty((len(frame), len(schema.features)), dtype=object)
    for i, feature in enumerate(schema.features):
        column = frame[feature.name]
        if feature.kind == "numeric":
            rows[:, i] = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
        else:
            missing = pd.isna(column).to_numpy() | _blank(column)
            rows[:, i] = np.where(missing, np.nan, column.astype(str).to_numpy())
    return rows


def _blank(column: pd.Series) -> np.ndarray:
    """Empty or whitespace-only strings (:func:`lightship.bundle.row_contract.is_blank`), per row."""
    if column.dtype != object and not pd.api.types.is_string_dtype(column):
        return np.zeros(len(column), dtype=bool)
    return np.fromiter((is_blank(v) for v in column.tolist()), dtype=bool, count=len(column))


def _plain(value: object) -> object:
    """numpy scalars to Python ones, so classes survive JSON."""
    return value.item() if isinstance(value, np.generic) else value
