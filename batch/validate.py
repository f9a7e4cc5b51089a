"""Checking input rows against the bundle's feature schema: which rows can be scored, and why
the others cannot.

A row is rejected, with the first reason found in schema order, when a required
feature is missing, a numeric feature is not a finite number, or a categorical
feature holds a category the schema closes (``closed_categories``). Values outside
the range seen in training are *not* rejected: that is drift, which the drift check
measures. Called by :mod:`batch.score` for every chunk and by ``lightship drift``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lightship.bundle.schema import FeatureSchema


@dataclass
class Validation:
    valid: np.ndarray  # bool per row
    reasons: np.ndarray  # object per row: None, or "<feature>: <why>"

    @property
    def rejected(self) -> int:
        return int((~self.valid).sum())

    def counts(self) -> dict[str, int]:
        """Rejected rows per reason."""
        bad = self.reasons[~self.valid]
        if bad.size == 0:
            return {}
        values, counts = np.unique(bad.astype(str), return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def missing_columns(columns: list[str], schema: FeatureSchema) -> list[str]:
    """Schema features absent from ``columns`` (a file without them cannot be scored at all)."""
    present = set(map(str, columns))
    return [name for name in schema.names if name not in present]


def validate(frame: pd.DataFrame, schema: FeatureSchema) -> Validation:
    n = len(frame)
    reasons = np.full(n, None, dtype=object)
    bad = np.zeros(n, dtype=bool)
    for feature in schema.features:
        if feature.name not in frame.columns:
            _mark(reasons, bad, np.ones(n, dtype=bool), f"{feature.name}: column missing")
            continue
        column = frame[feature.name]
        missing = _missing(column)
        if not feature.nullable:
            _mark(reasons, bad, missing, f"{feature.name}: missing (required)")
        if feature.kind == "numeric":
            numbers = column if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column) else None
            if numbers is None:
                numbers = pd.to_numeric(column, errors="coerce")
                _mark(reasons, bad, ~missing & numbers.isna().to_numpy(), f"{feature.name}: not a number")
            values = numbers.to_numpy(dtype=float, na_value=np.nan)
            _mark(reasons, bad, np.isinf(values), f"{feature.name}: not a finite number")
        elif feature.closed_categories and feature.categories:
            known = column.astype(str).isin(feature.categories).to_numpy()
            _mark(reasons, bad, ~missing & ~known, f"{feature.name}: unknown category")
    return Validation(valid=~bad, reasons=reasons)


def _missing(column: pd.Series) -> np.ndarray:
    missing = column.isna().to_numpy()
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        missing = missing | (column == "").to_numpy(dtype=bool, na_value=False)  # "" is missing, as in the profile
    return missing


def _mark(reasons: np.ndarray, bad: np.ndarray, where: np.ndarray, reason: str) -> None:
    """Give ``reason`` to rows in ``where`` that have none yet (the first reason wins)."""
    if where.any():
        free = where & ~bad
        reasons[free] = reason
        bad |= where
