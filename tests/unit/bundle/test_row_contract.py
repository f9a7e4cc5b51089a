"""One row contract: serving's per-request path and batch's vectorised path give the same verdict,
the same reason and the same model inputs for every row, whatever the row holds.

Hypothesis generates rows (NaN, ±inf, huge and tiny numbers, integers beyond a float, decimal
text, booleans, empty and whitespace strings, unicode, unseen categories, lists and objects,
nulls where training saw none, features left out and keys added) and a policy; the same rows go
to :class:`lightship.serving.validation.RowEncoder` as JSON instances and to
:func:`batch.validate.validate` as a table (the column types pandas infers from them, and all
text columns), and every verdict is compared.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch.validate import validate
from lightship.bundle.row_contract import NOT_FINITE, REQUIRED, RowPolicy, compile_rules
from lightship.bundle.schema import Feature, FeatureSchema
from lightship.serving.validation import RowEncoder
from lightship.training.features import frame_to_rows, infer_schema

SCHEMA = FeatureSchema(
    features=(
        Feature("age", "numeric", "float64", nullable=True, minimum=18.0, maximum=90.0),
        Feature("tenure", "numeric", "int64", nullable=False, minimum=0.0, maximum=120.0),
        Feature("spend", "numeric", "float64", nullable=True),  # all missing in training: no range
        Feature("plan", "categorical", "object", nullable=True, categories=("basic", "premium")),
        Feature("tier", "categorical", "object", nullable=False, categories=("gold", "silver"), closed_categories=True),
        Feature("active", "categorical", "bool", nullable=True, categories=("False", "True")),
    ),
    target="churned",
    task="classification",
    classes=(0, 1),
)
NAMES = SCHEMA.names

TEXT = st.sampled_from(
    ["", " ", "\t\n", "\u3000", "12", " -3.5e2 ", "+.5", "7.", "1e400", "-1e999", "nan", "NaN", "inf", "Infinity",
     "1_000", "0x10", "١٢", "basic", "premium", "gold", "silver", "True", "False", "true", "bronze", "Gold ", "ünïcödé", "😀"]
)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.sampled_from([0.0, -0.0, 17.999, 18.0, 90.0, 90.0001, 1e308, -1e308, 5e-324, 2.0**53 + 1]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([10**400, -(10**400), 2**63, 2**64 - 1]),
    st.booleans(),
    st.none(),
    TEXT,
    st.text(max_size=6),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
POLICIES = st.builds(
    RowPolicy,
    out_of_range=st.sampled_from(["accept", "flag", "reject"]),
    range_tolerance=st.sampled_from([0.0, 0.1]),
)


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows sharing one set of keys, as a table's rows do: some features may be left out, other keys added."""
    dropped = draw(st.sets(st.sampled_from(NAMES), max_size=2)) if draw(st.booleans()) else set()
    extra = draw(st.lists(st.sampled_from(["id", "note", "Age"]), max_size=2, unique=True))
    keys = [n for n in NAMES if n not in dropped] + extra
    rows = draw(st.lists(st.fixed_dictionaries({k: VALUES for k in keys}), min_size=1, max_size=8))
    return rows


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def _serving(rows: list[dict[str, Any]], policy: RowPolicy) -> tuple[list[str | None], dict[int, list[Any]], dict[int, list[str]]]:
    check = RowEncoder(SCHEMA, 1000, policy).check(rows)
    first: dict[int, str] = {}
    for error in check.errors:
        assert error.index is not None
        first.setdefault(error.index, f"{error.field}: {error.reason}")
    verdicts = [first.get(i) for i in range(len(rows))]
    inputs = {i: list(check.rows[i]) for i in range(len(rows)) if verdicts[i] is None}
    return verdicts, inputs, check.flagged


def _assert_batch_agrees(frame: pd.DataFrame, rows: list[dict[str, Any]], policy: RowPolicy) -> None:
    verdicts, inputs, flagged = _serving(rows, policy)
    check = validate(frame, SCHEMA, policy)

    assert check.reasons.tolist() == verdicts
    assert check.valid.tolist() == [v is None for v in verdicts]
    accepted = [i for i, v in enumerate(verdicts) if v is None]
    assert check.rows.shape == (len(accepted), len(NAMES))
    for j, i in enumerate(accepted):
        got = list(check.rows[j])
        assert all(_same(a, b) for a, b in zip(got, inputs[i], strict=True)), (i, got, inputs[i])
    assert check.flagged.tolist() == [i in flagged and verdicts[i] is None for i in range(len(rows))]
    by_feature: dict[str, int] = {}
    for i, names in flagged.items():
        for name in names if verdicts[i] is None else ():  # a refused row is not scored, so not counted
            by_feature[name] = by_feature.get(name, 0) + 1
    assert check.flagged_by_feature == by_feature


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables(), policy=POLICIES)
def test_serving_and_batch_give_the_same_verdicts_reasons_and_model_inputs(rows: list[dict[str, Any]], policy: RowPolicy) -> None:
    # The column types pandas infers from the values (float64, int64, bool, object ...).
    _assert_batch_agrees(pd.DataFrame(rows), rows, policy)
    # Every column as plain Python objects, as a Parquet file of mixed cells reads.
    as_objects = pd.DataFrame({k: pd.Series([r[k] for r in rows], dtype=object) for k in rows[0]}, index=range(len(rows)))
    _assert_batch_agrees(as_objects, rows, policy)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([17.0, 91.0, 1e308]), max_size=20), policy=POLICIES)
def test_a_whole_float_column_is_decided_as_each_value_is(values: list[float], policy: RowPolicy) -> None:
    for rule in compile_rules(SCHEMA, policy)[:3]:
        numbers, refused, reasons, flagged = rule.check_floats(np.asarray(values, dtype=float))
        for k, value in enumerate(values):
            decision = rule.decide(value)
            assert (decision.reason is not None) == refused[k] and reasons[k] == decision.reason
            assert decision.flagged == flagged[k]
            if decision.reason is None:
                assert _same(decision.value, float(numbers[k]))


def test_a_csv_cell_and_a_json_value_mean_the_same() -> None:
    text = pd.DataFrame({"age": [" 30 ", "", "x"], "tenure": ["12", "1e400", " "], "spend": ["", "nan", "7"],
                         "plan": ["basic", "  ", "new"], "tier": ["gold", "gold", "silver"], "active": ["True", "", "False"]})
    check = validate(text, SCHEMA)
    assert check.reasons.tolist() == [None, f"tenure: {NOT_FINITE}", "age: expected a number, got a string"]
    assert list(check.rows[0][:2]) == [30.0, 12.0]


def test_training_reads_blanks_as_missing_so_serving_and_batch_agree_with_it() -> None:
    frame = pd.DataFrame({
        "plan": ["basic", "", "premium", "  ", None] * 4,
        "size": [1.0, 2.0, np.nan, 4.0, 5.0] * 4,
        "label": [0, 1] * 10,
    })
    schema = infer_schema(frame, "label", "classification")
    plan = schema.feature("plan")
    assert plan.categories == ("basic", "premium") and plan.nullable  # a blank is not a category
    rows = frame_to_rows(frame.drop(columns="label"), schema)
    served = RowEncoder(schema, 100).encode({"instances": frame.drop(columns="label").to_dict(orient="records")})
    assert all(_same(a, b) for a, b in zip(rows.ravel().tolist(), served.ravel().tolist(), strict=True))


@pytest.mark.parametrize("value", [None, float("nan"), "", "  "])
def test_missing_where_training_saw_none_is_refused_alike(value: Any) -> None:
    rows = [{"age": 30.0, "tenure": value, "spend": None, "plan": "basic", "tier": "gold", "active": True}]
    verdicts, _, _ = _serving(rows, RowPolicy())
    assert verdicts == [f"tenure: {REQUIRED}"]
    assert validate(pd.DataFrame(rows), SCHEMA).reasons.tolist() == verdicts
