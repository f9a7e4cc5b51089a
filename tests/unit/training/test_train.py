"""Training: the pipeline copes with messy input, runs are reproducible, and parameters are checked."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lightship.datasets import breast_cancer
from lightship.errors import DataError
from lightship.training.data import load_training_data
from lightship.training.features import frame_to_rows
from lightship.training.models import parse_params
from lightship.training.run import train


@pytest.fixture
def customers_data(customers_csv: Path):  # type: ignore[no-untyped-def]
    return load_training_data(customers_csv, "churned")


@pytest.mark.parametrize("model", ["logistic", "random_forest", "hist_gradient_boosting"])
def test_each_model_trains_on_messy_data_and_reports_metrics(customers_data, model: str) -> None:  # type: ignore[no-untyped-def]
    result = train(customers_data, model, {})
    metrics = result.evaluation["metrics"]
    assert 0.6 < metrics["roc_auc"] <= 1.0
    assert result.schema.feature("plan").kind == "categorical"
    assert result.schema.feature("age").nullable


def test_same_data_and_parameters_give_the_same_metrics_and_predictions(customers_data, customers_frame: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    first = train(customers_data, "random_forest", {"n_estimators": 30})
    second = train(customers_data, "random_forest", {"n_estimators": 30})
    assert first.evaluation["metrics"] == second.evaluation["metrics"]
    rows = frame_to_rows(customers_frame, first.schema)
    np.testing.assert_array_equal(first.pipeline.predict_proba(rows), second.pipeline.predict_proba(rows))
    assert first.profile.to_dict() == second.profile.to_dict()


def test_a_different_seed_changes_the_holdout(customers_data) -> None:  # type: ignore[no-untyped-def]
    assert train(customers_data, "logistic", {}, seed=1).evaluation["metrics"] != train(customers_data, "logistic", {}, seed=2).evaluation["metrics"]


def test_unseen_categories_and_missing_values_are_scored_not_crashed(customers_data) -> None:  # type: ignore[no-untyped-def]
    result = train(customers_data, "hist_gradient_boosting", {})
    messy = pd.DataFrame(
        {"tenure_months": [np.nan, 5.0], "monthly_spend": [None, 80.0], "support_calls": [1.0, 0.0], "age": [30.0, None], "plan": ["platinum", None], "region": [None, "north"]}
    )
    proba = result.pipeline.predict_proba(frame_to_rows(messy, result.schema))
    assert proba.shape == (2, 2) and np.isfinite(proba).all()


def test_regression_target_gives_regression_metrics(tmp_path: Path) -> None:
    frame = breast_cancer().drop(columns=["target"])
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    result = train(load_training_data(path, "mean_area"), "hist_gradient_boosting", {})
    assert result.schema.task == "regression"
    assert result.evaluation["metrics"]["r2"] > 0.9
    assert result.profile.prediction.kind == "numeric"


def test_profile_covers_every_feature_and_the_predictions(customers_data) -> None:  # type: ignore[no-untyped-def]
    result = train(customers_data, "logistic", {}, profile_bins=10)
    assert set(result.profile.features) == set(result.schema.names)
    tenure = result.profile.features["tenure_months"]
    assert sum(tenure.counts) + tenure.missing == len(customers_data.frame)
    assert len(tenure.counts) <= 11
    assert sum(result.profile.prediction.counts) == len(customers_data.frame)


def test_unknown_parameter_is_refused_with_the_valid_ones(customers_data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match="unknown parameter\\(s\\) max_dept for model 'random_forest' \\(classification\\); valid: .*max_depth"):
        train(customers_data, "random_forest", {"max_dept": 3})


def test_params_are_parsed_to_typed_values() -> None:
    assert parse_params(["C=0.5", "max_iter=100", "class_weight=balanced", "fit_intercept=false", "x=None"]) == {
        "C": 0.5, "max_iter": 100, "class_weight": "balanced", "fit_intercept": False, "x": None,
    }
    with pytest.raises(DataError, match="not key=value"):
        parse_params(["oops"])
