"""Segment metrics: scikit-learn's figures on each segment's own holdout rows, with counts and intervals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.model_selection import train_test_split

from lightship.datasets import customers
from lightship.errors import DataError
from lightship.quality.metrics import hanley_mcneil, wilson
from lightship.training.data import load_training_data
from lightship.training.features import frame_to_rows
from lightship.training.run import train
from lightship.training.segments import MISSING, check_segment_columns, parse_segments, segment_metrics


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    frame = customers(rows=2000, seed=7)
    path = tmp_path_factory.mktemp("seg") / "customers.csv"
    frame.to_csv(path, index=False)
    data = load_training_data(path, "churned")
    return data, train(data, "logistic", {}, seed=3, segments=["region", "plan"])


def test_each_segment_equals_scikit_learn_on_its_own_holdout_rows(trained) -> None:  # type: ignore[no-untyped-def]
    data, result = trained
    frame = data.frame
    # The holdout, rebuilt here the way any reader would: the same split of the same rows.
    y = frame["churned"].to_numpy()
    _, test_rows, _, y_test, _, test_frame = train_test_split(
        frame_to_rows(frame, result.schema), y, frame, test_size=0.2, random_state=3, stratify=y)
    proba = result.pipeline.predict_proba(test_rows)[:, 1]
    predicted = result.pipeline.predict(test_rows)
    segments = result.evaluation["segments"]
    assert segments["columns"] == ["region", "plan"] and segments["holdout_rows"] == len(y_test)
    for column in ("region", "plan"):
        values = test_frame[column].astype(object).where(test_frame[column].notna(), MISSING).astype(str).to_numpy()
        reported = {seg["value"]: seg for seg in segments["by_column"][column]}
        assert set(reported) == set(values)  # every value, the missing ones as their own segment
        assert sum(seg["rows"] for seg in reported.values()) == len(y_test)
        for value, seg in reported.items():
            mask = values == value
            assert seg["rows"] == int(mask.sum())
            assert seg["positives"] == int(y_test[mask].sum())
            m = seg["metrics"]
            assert m["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y_test[mask], proba[mask]), abs=1e-12)
            assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y_test[mask], predicted[mask]), abs=1e-12)
            assert m["f1_macro"]["value"] == pytest.approx(skm.f1_score(y_test[mask], predicted[mask], average="macro"), abs=1e-12)
            assert m["log_loss"]["value"] == pytest.approx(skm.log_loss(y_test[mask], proba[mask], labels=[0, 1]), abs=1e-9)
            low, high = m["accuracy"]["ci"]
            assert 0.0 <= low <= m["accuracy"]["value"] <= high <= 1.0
    assert segments["overall"]["roc_auc"]["value"] == pytest.approx(result.evaluation["metrics"]["roc_auc"], abs=1e-12)


def test_segments_leave_the_run_otherwise_unchanged(trained) -> None:  # type: ignore[no-untyped-def]
    data, result = trained
    plain = train(data, "logistic", {}, seed=3)
    assert "segments" not in plain.evaluation
    assert plain.evaluation["metrics"] == result.evaluation["metrics"]  # same split, same model


def test_regression_segments_equal_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    f = y + rng.normal(scale=0.5, size=300)
    group = rng.choice(["a", "b", None], size=300)
    out = segment_metrics("regression", {"g": group}, y, f, None, None)
    for seg in out["by_column"]["g"]:
        mask = np.array([(v if v is not None else MISSING) == seg["value"] for v in group])
        assert seg["rows"] == mask.sum()
        assert seg["metrics"]["r2"]["value"] == pytest.approx(skm.r2_score(y[mask], f[mask]), abs=1e-12)
        assert seg["metrics"]["rmse"]["value"] == pytest.approx(math.sqrt(skm.mean_squared_error(y[mask], f[mask])), abs=1e-12)
        assert seg["metrics"]["mae"]["value"] == pytest.approx(skm.mean_absolute_error(y[mask], f[mask]), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y", 1.0, 2, None, "", " "]), st.booleans(), st.floats(0.01, 0.99)),
                min_size=1, max_size=60))
def test_generated_segments_partition_the_rows_and_match_accuracy(rows: list[tuple[object, bool, float]]) -> None:
    values = np.array([r[0] for r in rows], dtype=object)
    y = np.array([int(r[1]) for r in rows])
    p1 = np.array([r[2] for r in rows])
    proba = np.column_stack([1 - p1, p1])
    classes = np.array([0, 1])
    predicted = classes[np.argmax(proba, axis=1)]
    out = segment_metrics("classification", {"c": values}, y, predicted, proba, classes)
    expected_labels = ["1" if v == 1.0 or v == 1 else "2" if v == 2 else MISSING if v is None or str(v).strip() == "" else str(v)
                       for v in values]
    by_value = {seg["value"]: seg for seg in out["by_column"]["c"]}
    assert sorted(by_value) == sorted(set(expected_labels))
    for value, seg in by_value.items():
        mask = np.array([lab == value for lab in expected_labels])
        assert seg["rows"] == mask.sum()
        assert seg["metrics"]["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y[mask], predicted[mask]))
        both = len(set(y[mask].tolist())) == 2
        assert (seg["metrics"]["roc_auc"]["value"] is not None) == both


# The intervals, on figures worked outside this code.
def test_wilson_interval_matches_newcombes_worked_examples() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", table I, method 3.
    assert wilson(81, 263, 0.95) == pytest.approx([0.2553, 0.3662], abs=5e-5)
    assert wilson(15, 148, 0.95) == pytest.approx([0.0624, 0.1605], abs=5e-5)
    low, high = wilson(0, 20, 0.95)  # type: ignore[misc]
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.1611, abs=5e-5)


def test_hanley_mcneil_matches_the_papers_worked_example() -> None:
    # Hanley & McNeil (1982), CT example: AUC 0.893 with 51 abnormal and 58 normal cases, SE 0.032.
    # By hand: Q1 = .893/1.107 = .80669, Q2 = 2(.893²)/1.893 = .84247,
    # var = (.893·.107 + 50(.80669 - .79745) + 57(.84247 - .79745)) / (51·58) = 3.1238 / 2958 = .0010561, SE = .0325.
    low, high = hanley_mcneil(0.893, 51, 58, 0.95)  # type: ignore[misc]
    se = (high - low) / (2 * 1.959964)
    assert se == pytest.approx(0.0325, abs=2e-4)


def test_segment_options_are_parsed_and_checked_in_one_line() -> None:
    assert parse_segments("region, plan") == ["region", "plan"]
    assert parse_segments(["region"]) == ["region"] and parse_segments(None) == [] and parse_segments(7) == ["7"]
    with pytest.raises(DataError, match="named twice"):
        parse_segments("a,a")
    frame = pd.DataFrame({"region": ["n", "s"], "id": [1, 2], "churned": [0, 1]})
    with pytest.raises(DataError, match="--segments regon: no such column .*columns: region, id, churned"):
        check_segment_columns(frame, "churned", ["regon"])
    with pytest.raises(DataError, match="target cannot be a segment"):
        check_segment_columns(frame, "churned", ["churned"])
    wide = pd.DataFrame({"id": range(100), "churned": [0, 1] * 50})
    with pytest.raises(DataError, match="--segments id: 100 distinct values"):
        check_segment_columns(wide, "churned", ["id"])


def test_training_refuses_an_unknown_segment_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    customers(rows=200, seed=1).to_csv(path, index=False)
    with pytest.raises(DataError, match="--segments country: no such column"):
        train(load_training_data(path, "churned"), "logistic", {}, segments=["country"])
