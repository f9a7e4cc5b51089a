"""Checking input rows against the row contract, a column at a time: which rows can be scored, what
the model gets for them, which are flagged, and why the others cannot be scored.

The rules are the bundle's row contract (:mod:`lightship.bundle.row_contract`), the same ones
serving applies to JSON instances: a float column goes through :meth:`ColumnRule.check_floats`
at once; any other column is decided once per distinct value by :meth:`ColumnRule.decide`
and the verdicts are spread back over the rows. A row is rejected with the first reason
found in schema order (``"<feature>: <why>"``); extra columns are left alone. Numbers outside
the training range are scored and flagged, rejected or accepted as ``rows.out_of_range``
says. Called by :mod:`batch.score` for every chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lightship.bundle.row_contract import MISSING_FEATURE, ColumnRule, Decision, RowPolicy, compile_rules
from lightship.bundle.schema import FeatureSchema


@dataclass
class Validation:
    valid: np.ndarray  # bool per row
    reasons: np.ndarray  # object per row: None, or "<feature>: <why>"
    rows: np.ndarray  # the model's inputs for the valid rows, (valid rows, features) in schema order
    flagged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per row: valid, with a feature out of range
    flagged_by_feature: dict[str, int] = field(default_factory=dict)  # valid rows flagged, per feature

    @property
    def rejected(self) -> int:
        return int((~self.valid).sum())

    @property
    def rows_flagged(self) -> int:
        return int(self.flagged.sum())

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


def validate(
    frame: pd.DataFrame, schema: FeatureSchema, policy: RowPolicy | None = None, refused: np.ndarray | None = None,
) -> Validation:
    """``refused``: per row, a reason from outside the contract (its identity, :mod:`batch.identity`)
    or None; such a row is rejected for that reason first."""
    n = len(frame)
    reasons = np.full(n, None, dtype=object) if refused is None else refused.astype(object).copy()
    bad = np.zeros(n, dtype=bool) if refused is None else np.fromiter((r is not None for r in refused), dtype=bool, count=n)
    inputs: list[np.ndarray] = []
    flags: list[tuple[str, np.ndarray]] = []
    for rule in compile_rules(schema, policy):
        if rule.name not in frame.columns:
            _mark(reasons, bad, np.ones(n, dtype=bool), f"{rule.name}: {MISSING_FEATURE}")
            inputs.append(np.full(n, None, dtype=object))
            continue
        values, refused, why, flagged = check_column(rule, frame[rule.name])
        if refused.any():
            for reason in pd.unique(why[refused]):
                _mark(reasons, bad, refused & (why == reason), f"{rule.name}: {reason}")
        inputs.append(values)
        if flagged.any():
            flags.append((rule.name, flagged))
    valid = ~bad
    rows = np.empty((int(valid.sum()), len(inputs)), dtype=object)
    for i, values in enumerate(inputs):
        rows[:, i] = values if valid.all() else values[valid]
    any_flag = np.zeros(n, dtype=bool)
    by_feature: dict[str, int] = {}
    for name, flagged in flags:
        scored = flagged & valid
        if scored.any():
            by_feature[name] = int(scored.sum())
            any_flag |= scored
    return Validation(valid=valid, reasons=reasons, rows=rows, flagged=any_flag, flagged_by_feature=by_feature)


def check_column(rule: ColumnRule, column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(model inputs, refused mask, reasons, flagged mask) for one column, as :meth:`ColumnRule.decide` says per value."""
    if rule.numeric and (pd.api.types.is_float_dtype(column) or pd.api.types.is_integer_dtype(column)) and not pd.api.types.is_bool_dtype(column):
        return rule.check_floats(column.to_numpy(dtype=float, na_value=np.nan))
    # Decide each distinct value once. Factorizing would merge True with 1 (equal and equally
    # hashed, yet a boolean and a number are different values here), so a column mixing them
    # is decided value by value with the type in the key.
    if pd.api.types.infer_dtype(column, skipna=True) in ("mixed", "mixed-integer"):
        return _spread_by_key(rule, column)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    decisions = [rule.decide(u) for u in np.asarray(uniques, dtype=object)]
    decisions.append(rule.decide(None))  # code -1: pandas' missing values (None, NaN, NA, NaT)
    return _spread(decisions, np.where(codes < 0, len(decisions) - 1, codes))


def _spread_by_key(rule: ColumnRule, column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    missing = column.isna().to_numpy()
    index: dict[tuple[type, object], int] = {}
    decisions: list[Decision] = [rule.decide(None)]
    codes = np.zeros(len(column), dtype=np.int64)
    for i, value in enumerate(column.tolist()):
        if missing[i]:
            continue
        key = (type(value), value)
        try:
            code = index.get(key)
        except TypeError:  # unhashable (a list in a Parquet cell): decided on its own
            code = None
            key = (type(value), id(value))
        if code is None:
            code = index[key] = len(decisions)
            decisions.append(rule.decide(value))
        codes[i] = code
    return _spread(decisions, codes)


def _spread(decisions: list[Decision], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    values = np.empty(len(decisions), dtype=object)
    values[:] = [d.value for d in decisions]
    reasons = np.empty(len(decisions), dtype=object)
    reasons[:] = [d.reason for d in decisions]
    refused = np.fromiter((d.reason is not None for d in decisions), dtype=bool, count=len(decisions))
    flagged = np.fromiter((d.flagged for d in decisions), dtype=bool, count=len(decisions))
    return values[codes], refused[codes], reasons[codes], flagged[codes]


def _mark(reasons: np.ndarray, bad: np.ndarray, where: np.ndarray, reason: str) -> None:
    """Give ``reason`` to rows in ``where`` that have none yet (the first reason wins)."""
    if where.any():
        free = where & ~bad
        reasons[free] = reason
        bad |= where
