"""Each kind of bad input is refused with its instance index, field and reason; good input becomes training's rows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lightship.bundle.schema import Feature, FeatureSchema
from lightship.serving.validation import MAX_REPORTED_ERRORS, InvalidRequest, RowEncoder
from lightship.training.features import frame_to_rows

SCHEMA = FeatureSchema(
    features=(
        Feature("tenure", "numeric", "float64", nullable=False, minimum=0.0, maximum=100.0),
        Feature("spend", "numeric", "float64", nullable=True),
        Feature("plan", "categorical", "object", nullable=True, categories=("basic", "premium")),
        Feature("tier", "categorical", "object", nullable=False, categories=("gold", "silver"), closed_categories=True),
        Feature("active", "categorical", "bool", nullable=False, categories=("False", "True")),
    ),
    target="churned",
    task="classification",
    classes=(0, 1),
)
GOOD = {"tenure": 3, "spend": 10.5, "plan": "basic", "tier": "gold", "active": True}


def errors_for(payload: Any, max_instances: int = 10) -> tuple[int, list[tuple[int | None, str, str]]]:
    with pytest.raises(InvalidRequest) as caught:
        RowEncoder(SCHEMA, max_instances).encode(payload)
    return caught.value.status, [(e.index, e.field, e.reason) for e in caught.value.errors]


def test_good_instances_become_rows_in_schema_order_like_training_builds_them(customers_frame: Any) -> None:
    from lightship.training.features import infer_schema

    schema = infer_schema(customers_frame, "churned", "classification")
    frame = customers_frame.head(25)
    instances = [
        {name: (None if (isinstance(v, float) and math.isnan(v)) or v is None else v) for name, v in row.items() if name != "churned"}
        for row in frame.to_dict(orient="records")
    ]
    rows = RowEncoder(schema, 100).encode({"instances": instances})
    expected = frame_to_rows(frame, schema)
    assert rows.shape == expected.shape and rows.dtype == object
    for got, want in zip(rows.ravel(), expected.ravel(), strict=True):
        if isinstance(want, float) and math.isnan(want):
            assert isinstance(got, float) and math.isnan(got)
        else:
            assert got == want and type(got) is type(want)


def test_a_missing_feature_is_named_with_its_instance() -> None:
    incomplete = {k: v for k, v in GOOD.items() if k != "spend"}
    status, errors = errors_for({"instances": [GOOD, incomplete]})
    assert status == 422
    assert errors == [(1, "spend", "missing: every feature is required (send null for a missing value)")]


def test_an_unknown_feature_is_refused() -> None:
    _, errors = errors_for({"instances": [{**GOOD, "colour": "red"}]})
    assert errors == [(0, "colour", "unknown feature: the model was not trained on it")]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("tenure", "3", "expected a number, got a string"),
        ("tenure", True, "expected a number, got a boolean"),
        ("tenure", [1], "expected a number, got a list"),
        ("plan", 3, "expected a category (string), got a number"),
        ("plan", {"a": 1}, "expected a category (string), got an object"),
    ],
)
def test_a_wrong_type_is_refused(field: str, value: Any, reason: str) -> None:
    _, errors = errors_for({"instances": [{**GOOD, field: value}]})
    assert errors == [(0, field, reason)]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_number_is_refused(value: float) -> None:
    _, errors = errors_for({"instances": [{**GOOD, "spend": value}]})
    assert len(errors) == 1 and errors[0][:2] == (0, "spend") and errors[0][2].startswith("not a finite number")


def test_an_integer_too_large_for_a_float_is_refused() -> None:
    _, errors = errors_for({"instances": [{**GOOD, "tenure": 10**400}]})
    assert errors == [(0, "tenure", "number too large for a float")]


def test_an_unknown_category_is_refused_only_where_the_schema_closes_the_set() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "plan": "enterprise"}]})
    assert rows[0, 2] == "enterprise"  # open set: the encoder ignores it, as in training
    _, errors = errors_for({"instances": [{**GOOD, "tier": "bronze"}]})
    assert errors == [(0, "tier", "unknown category 'bronze'; allowed: gold, silver")]


def test_null_is_allowed_only_where_training_saw_missing_values() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "spend": None, "plan": None}]})
    assert math.isnan(rows[0, 1]) and math.isnan(rows[0, 2])
    _, errors = errors_for({"instances": [{**GOOD, "tenure": None}]})
    assert errors == [(0, "tenure", "null, but training saw no missing values for this feature")]


def test_booleans_are_categories_as_training_wrote_them() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [GOOD, {**GOOD, "active": False}]})
    assert list(rows[:, 4]) == ["True", "False"]


def test_too_many_instances_is_a_413() -> None:
    status, errors = errors_for({"instances": [GOOD] * 11}, max_instances=10)
    assert status == 413 and errors == [(None, "instances", "11 instances; at most 10 per request")]


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ([GOOD], "body", 'expected an object {"instances": [...]}, got a list'),
        ({}, "instances", "missing"),
        ({"instances": GOOD}, "instances", "must be a list of objects, got an object"),
        ({"instances": []}, "instances", "empty: send at least one instance"),
        ({"instances": [GOOD], "extra": 1}, "extra", 'unknown field: the body holds only "instances"'),
    ],
)
def test_a_malformed_body_is_refused_as_a_whole(payload: Any, field: str, reason: str) -> None:
    status, errors = errors_for(payload)
    assert status == 422 and errors == [(None, field, reason)]


def test_every_error_of_every_instance_is_reported_at_once() -> None:
    bad = [GOOD, {**GOOD, "tenure": "x", "tier": "bronze"}, "not an object", {**GOOD, "spend": float("nan")}]
    _, errors = errors_for({"instances": bad})
    assert [(i, f) for i, f, _ in errors] == [(1, "tenure"), (1, "tier"), (2, ""), (3, "spend")]


def test_the_error_list_is_capped_so_a_huge_bad_batch_gets_a_readable_answer() -> None:
    status, errors = errors_for({"instances": [{"x": 1}] * 1000}, max_instances=1000)
    assert status == 422 and len(errors) == MAX_REPORTED_ERRORS


def test_numbers_become_python_floats_and_categories_strings() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [GOOD]})
    assert [type(v) for v in rows[0]] == [float, float, str, str, str]
    assert rows.shape == (1, 5) and isinstance(rows, np.ndarray)
