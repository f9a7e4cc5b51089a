"""Rows are checked against the bundle's schema: bad rows are rejected with a reason, good rows
scored exactly as the bundle scores them, and no row is lost (in = scored + rejected)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from batch.score import score_frame
from batch.validate import missing_columns, validate
from lightship.bundle.model_bundle import ModelBundle
from lightship.training.features import frame_to_rows


def _bad_rows(frame: pd.DataFrame) -> pd.DataFrame:
    bad = frame.head(6).copy().astype(object)
    bad.loc[0, "tenure_months"] = None  # required (never missing in training)
    bad.loc[1, "monthly_spend"] = "lots"  # not a number
    bad.loc[2, "support_calls"] = float("inf")
    bad.loc[3, "age"] = -500.0  # far outside the training range: scored and flagged (rows.out_of_range=flag)
    bad.loc[4, "plan"] = "enterprise"  # unseen category: open categories go to "other"
    return bad


def test_rejects_carry_the_first_reason_in_schema_order(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    check = validate(_bad_rows(batch_frame), bundle.schema)
    assert check.valid.tolist() == [False, False, False, True, True, True]
    assert check.reasons[:3].tolist() == [
        "tenure_months: missing, but training saw no missing values for this feature",
        "monthly_spend: expected a number, got a string",
        "support_calls: not a finite number",
    ]
    assert check.counts() == {
        "monthly_spend: expected a number, got a string": 1,
        "support_calls: not a finite number": 1,
        "tenure_months: missing, but training saw no missing values for this feature": 1,
    }


def test_closed_categories_reject_unseen_values(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    from dataclasses import replace

    from lightship.bundle.schema import FeatureSchema

    closed = FeatureSchema(
        features=tuple(replace(f, closed_categories=True) if f.name == "plan" else f for f in bundle.schema.features),
        target=bundle.schema.target,
        task=bundle.schema.task,
        classes=bundle.schema.classes,
    )
    check = validate(_bad_rows(batch_frame), closed)
    assert check.reasons[4] == "plan: unknown category; allowed: basic, premium, standard"


def test_a_file_without_a_feature_column_is_named_by_the_missing_columns(bundle: ModelBundle) -> None:
    assert missing_columns(["tenure_months", "age", "extra"], bundle.schema) == [
        "monthly_spend", "support_calls", "plan", "region",
    ]


def test_scoring_keeps_every_row_and_matches_the_bundles_own_predictions(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    frame = pd.concat([_bad_rows(batch_frame), batch_frame.iloc[6:200]], ignore_index=True)
    result = score_frame(frame, bundle, 7, "run-1", "s3://b/in.csv", first_row=100)
    assert len(result.scored) + len(result.rejects) == len(frame)
    assert len(result.rejects) == 3
    assert result.rejects["source_row"].tolist() == [100, 101, 102]
    assert set(result.rejects["reject_reason"]) == {
        "tenure_months: missing, but training saw no missing values for this feature", "monthly_spend: expected a number, got a string", "support_calls: not a finite number",
    }
    assert (result.rejects["source_uri"] == "s3://b/in.csv").all()
    good = frame.iloc[3:].reset_index(drop=True)
    _, proba = bundle.predict_rows(frame_to_rows(good, bundle.schema))
    assert proba is not None
    np.testing.assert_allclose(result.scored["probability_1"].to_numpy(), proba[:, 1])
    assert set(result.scored["model_version"]) == {7}
    assert set(result.scored["run_id"]) == {"run-1"}
    assert {"tenure_months", "plan", "prediction", "probability_0"} <= set(result.scored.columns)
    assert result.sketch.rows == len(result.scored)
    assert result.rows_flagged == 1 and result.flagged_by_feature == {"age": 1}  # -500: scored, counted


def test_out_of_range_policy_rejects_or_accepts_in_batch_as_in_serving(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    from lightship.bundle.row_contract import RowPolicy

    frame = batch_frame.head(10).copy()
    frame.loc[3, "age"] = 1e308
    rejected = score_frame(frame, bundle, 1, "r", policy=RowPolicy(out_of_range="reject"))
    assert len(rejected.scored) == 9 and rejected.rejects["source_row"].tolist() == [3]
    [reason] = rejected.rejects["reject_reason"].tolist()
    assert reason.startswith("age: outside the range seen in training [")
    accepted = score_frame(frame, bundle, 1, "r", policy=RowPolicy(out_of_range="accept"))
    assert len(accepted.scored) == 10 and accepted.rows_flagged == 0


def test_a_chunk_of_only_bad_rows_scores_nothing_and_rejects_all(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    frame = batch_frame.head(5).copy()
    frame["tenure_months"] = np.nan
    result = score_frame(frame, bundle, 1, "r")
    assert len(result.scored) == 0 and len(result.rejects) == 5
    assert result.sketch.rows == 0 and result.sketch.prediction is not None and result.sketch.prediction.total == 0


def test_every_part_gets_the_same_column_types_even_when_a_chunk_reads_a_category_as_numbers(
    bundle: ModelBundle, batch_frame: pd.DataFrame
) -> None:
    normal = score_frame(batch_frame.head(50), bundle, 1, "r").scored
    holes = batch_frame.head(50).copy()
    holes["plan"] = np.nan  # a CSV chunk where every plan is empty is read as float64
    holes["age"] = holes["age"].astype(object)
    odd = score_frame(holes, bundle, 1, "r").scored
    for name in ("plan", "age", "tenure_months"):
        assert pd.api.types.is_string_dtype(odd[name]) == pd.api.types.is_string_dtype(normal[name]), name
        assert pd.api.types.is_float_dtype(odd[name]) == pd.api.types.is_float_dtype(normal[name]), name
