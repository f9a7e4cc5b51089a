"""Each kind of bad input is refused with its instance index, field and reason; good input becomes training's rows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lightship.bundle.row_contract import REQUIRED, RowPolicy
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


def test_keys_that_are_not_features_are_left_alone_but_a_misspelt_feature_is_missing() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "id": "c-17"}]})
    assert rows.shape == (1, 5)  # an id beside the features is the caller's, not the model's
    misspelt = {**{k: v for k, v in GOOD.items() if k != "plan"}, "plam": "basic"}
    _, errors = errors_for({"instances": [misspelt]})
    assert errors == [(0, "plan", "missing: every feature is required (send null for a missing value)")]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("tenure", "three", "expected a number, got a string"),
        ("tenure", "1_000", "expected a number, got a string"),
        ("tenure", "nan", "expected a number, got a string"),
        ("tenure", True, "expected a number, got a boolean"),
        ("tenure", [1], "expected a number, got a list"),
        ("plan", 3, "expected a category (string), got a number"),
        ("plan", True, "expected a category (string), got a boolean"),  # training saw no booleans there
        ("plan", {"a": 1}, "expected a category (string), got an object"),
    ],
)
def test_a_wrong_type_is_refused(field: str, value: Any, reason: str) -> None:
    _, errors = errors_for({"instances": [{**GOOD, field: value}]})
    assert errors == [(0, field, reason)]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), 10**400, "1e400", " -1e999"])
def test_a_non_finite_number_is_refused(value: Any) -> None:
    _, errors = errors_for({"instances": [{**GOOD, "spend": value}]})
    assert errors == [(0, "spend", "not a finite number")]


@pytest.mark.parametrize(("text", "number"), [("12", 12.0), (" -1.5e1 ", -15.0), (".5", 0.5), ("7.", 7.0)])
def test_decimal_text_is_a_number_as_a_csv_cell_would_be(text: str, number: float) -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "spend": text}]})
    assert rows[0, 1] == number and type(rows[0, 1]) is float


@pytest.mark.parametrize("blank", [None, float("nan"), "", "   ", "\t\n"])
def test_null_nan_and_blank_strings_are_the_same_missing_value(blank: Any) -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "spend": blank, "plan": blank}]})
    assert math.isnan(rows[0, 1]) and math.isnan(rows[0, 2])
    _, errors = errors_for({"instances": [{**GOOD, "tenure": blank, "tier": blank}]})
    assert errors == [(0, "tenure", REQUIRED), (0, "tier", REQUIRED)]


def test_an_unknown_category_is_refused_only_where_the_schema_closes_the_set() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "plan": "enterprise"}]})
    assert rows[0, 2] == "enterprise"  # open set: the encoder ignores it, as in training
    _, errors = errors_for({"instances": [{**GOOD, "tier": "bronze"}]})
    assert errors == [(0, "tier", "unknown category; allowed: gold, silver")]


def test_null_is_allowed_only_where_training_saw_missing_values() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [{**GOOD, "spend": None, "plan": None}]})
    assert math.isnan(rows[0, 1]) and math.isnan(rows[0, 2])
    _, errors = errors_for({"instances": [{**GOOD, "tenure": None}]})
    assert errors == [(0, "tenure", "missing, but training saw no missing values for this feature")]


def test_booleans_are_categories_as_training_wrote_them_where_training_saw_booleans() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [GOOD, {**GOOD, "active": False}, {**GOOD, "active": "True"}]})
    assert list(rows[:, 4]) == ["True", "False", "True"]
    _, errors = errors_for({"instances": [{**GOOD, "plan": False, "tier": True}]})
    assert errors == [(0, "plan", "expected a category (string), got a boolean"), (0, "tier", "expected a category (string), got a boolean")]


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
    bad = [GOOD, {**GOOD, "tenure": "x", "tier": "bronze"}, "not an object", {**GOOD, "spend": float("inf")}]
    _, errors = errors_for({"instances": bad})
    assert [(i, f) for i, f, _ in errors] == [(1, "tenure"), (1, "tier"), (2, ""), (3, "spend")]


def test_the_error_list_is_capped_so_a_huge_bad_batch_gets_a_readable_answer() -> None:
    status, errors = errors_for({"instances": [{"x": 1}] * 1000}, max_instances=1000)
    assert status == 422 and len(errors) == MAX_REPORTED_ERRORS


def test_numbers_become_python_floats_and_categories_strings() -> None:
    rows = RowEncoder(SCHEMA, 10).encode({"instances": [GOOD]})
    assert [type(v) for v in rows[0]] == [float, float, str, str, str]
    assert rows.shape == (1, 5) and isinstance(rows, np.ndarray)


def test_out_of_range_numbers_follow_the_policy() -> None:
    far = {**GOOD, "tenure": 1e308}
    flagged = RowEncoder(SCHEMA, 10).check([GOOD, far, {**GOOD, "tenure": -1}])
    assert not flagged.errors and flagged.flagged == {1: ["tenure"], 2: ["tenure"]}
    assert flagged.rows[1, 0] == 1e308  # flagged rows are scored as sent
    accepted = RowEncoder(SCHEMA, 10, RowPolicy(out_of_range="accept")).check([far])
    assert not accepted.errors and not accepted.flagged
    rejected = RowEncoder(SCHEMA, 10, RowPolicy(out_of_range="reject")).check([GOOD, far])
    assert [(e.index, e.field, e.reason) for e in rejected.errors] == [(1, "tenure", "outside the range seen in training [0, 100]")]
    widened = RowEncoder(SCHEMA, 10, RowPolicy(out_of_range="reject", range_tolerance=0.1)).check([{**GOOD, "tenure": 105}])
    assert not widened.errors  # [0 - 10, 100 + 10]
