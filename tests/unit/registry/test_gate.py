"""The quality gate: an absolute bar, then strictly better than the champion by the margin."""

import pytest

from lightship.errors import LightshipError
from lightship.registry.gate import Champion, decide
from lightship.settings import GateSettings, load_settings

GATE = GateSettings(classification_metric="roc_auc", classification_min=0.8, regression_min=0.5, min_improvement=0.01)
RMSE_GATE = GateSettings(regression_metric="rmse", regression_max=12.0, min_improvement=0.5)


def test_first_version_that_clears_the_bar_is_approved() -> None:
    decision = decide("classification", {"roc_auc": 0.85}, None, GATE)
    assert decision.approved and decision.status == "Approved"
    assert "no champion" in decision.reason


def test_version_below_the_bar_waits_for_a_person_even_without_champion() -> None:
    decision = decide("classification", {"roc_auc": 0.79}, None, GATE)
    assert not decision.approved and decision.status == "PendingManualApproval"
    assert "below the minimum 0.8000" in decision.reason


def test_version_must_beat_champion_by_the_margin() -> None:
    champion = Champion(version=3, metrics={"roc_auc": 0.90})
    assert not decide("classification", {"roc_auc": 0.905}, champion, GATE).approved
    approved = decide("classification", {"roc_auc": 0.911}, champion, GATE)
    assert approved.approved and "champion v3" in approved.reason


def test_a_twin_of_the_champion_is_held_with_the_default_settings() -> None:
    gate = GateSettings()  # the defaults a user gets
    decision = decide("classification", {"roc_auc": 0.7773}, Champion(2, {"roc_auc": 0.7773}), gate)
    assert not decision.approved
    assert decision.reason == "gate: roc_auc 0.7773 does not beat champion v2 (0.7773) by at least 0.0100; waiting for a person"


def test_a_twin_is_held_even_with_a_zero_margin() -> None:
    gate = GateSettings(min_improvement=0.0)
    assert not decide("classification", {"roc_auc": 0.80}, Champion(2, {"roc_auc": 0.80}), gate).approved
    assert decide("classification", {"roc_auc": 0.8001}, Champion(2, {"roc_auc": 0.80}), gate).approved


def test_the_default_margin_is_above_zero() -> None:
    assert GateSettings().min_improvement > 0
    assert load_settings({}).gate.min_improvement == GateSettings().min_improvement


def test_better_by_the_margin_is_approved_and_by_less_is_held() -> None:
    champion = Champion(version=1, metrics={"roc_auc": 0.803})
    exactly = decide("classification", {"roc_auc": 0.813}, champion, GATE)  # 0.813 - 0.803 is 0.00999... in floats
    assert exactly.approved and exactly.reason.endswith("beats champion v1 (0.8030) by at least 0.0100")
    assert decide("classification", {"roc_auc": 0.83}, champion, GATE).approved
    held = decide("classification", {"roc_auc": 0.812}, champion, GATE)
    assert not held.approved and "does not beat champion v1" in held.reason


def test_regression_is_judged_on_r2_by_default() -> None:
    assert decide("regression", {"r2": 0.6, "rmse": 99.0}, None, GATE).approved
    assert not decide("regression", {"r2": 0.4, "rmse": 1.0}, None, GATE).approved


def test_missing_metric_is_never_approved() -> None:
    decision = decide("classification", {"accuracy": 0.99}, None, GATE)
    assert not decision.approved and "not computed" in decision.reason


def test_rmse_is_a_maximum_lower_is_better() -> None:
    assert decide("regression", {"rmse": 11.0, "r2": 0.1}, None, RMSE_GATE).approved
    above = decide("regression", {"rmse": 12.5, "r2": 0.9}, None, RMSE_GATE)
    assert not above.approved and "above the maximum 12.0000" in above.reason


def test_a_lower_error_by_the_margin_beats_the_champion_and_a_higher_one_does_not() -> None:
    champion = Champion(version=4, metrics={"rmse": 10.0})
    better = decide("regression", {"rmse": 9.4}, champion, RMSE_GATE)
    assert better.approved and "beats champion v4 (10.0000)" in better.reason
    assert not decide("regression", {"rmse": 9.8}, champion, RMSE_GATE).approved  # better by less than the margin
    assert not decide("regression", {"rmse": 10.0}, champion, RMSE_GATE).approved  # a twin
    assert not decide("regression", {"rmse": 10.6}, champion, RMSE_GATE).approved  # worse by the margin


def test_mae_is_selectable_from_settings_and_gated_lower_is_better() -> None:
    settings = load_settings({"gate": {"regression_metric": "mae", "regression_max": 5.0, "min_improvement": 0.25}})
    champion = Champion(version=1, metrics={"mae": 3.0})
    assert decide("regression", {"mae": 2.7}, champion, settings.gate).approved
    assert not decide("regression", {"mae": 3.3}, champion, settings.gate).approved
    assert not decide("regression", {"mae": 5.5}, None, settings.gate).approved


def test_an_error_metric_without_its_maximum_is_a_settings_error() -> None:
    with pytest.raises(LightshipError, match="gate: .*set gate.regression_max"):
        load_settings({"gate": {"regression_metric": "rmse"}})
