"""The quality gate: an absolute bar, then the champion plus a margin."""

from lightship.registry.gate import Champion, decide
from lightship.settings import GateSettings

GATE = GateSettings(classification_metric="roc_auc", classification_min=0.8, regression_min=0.5, min_improvement=0.01)


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


def test_regression_is_judged_on_r2() -> None:
    assert decide("regression", {"r2": 0.6}, None, GATE).approved
    assert not decide("regression", {"r2": 0.4}, None, GATE).approved


def test_missing_metric_is_never_approved() -> None:
    decision = decide("classification", {"accuracy": 0.99}, None, GATE)
    assert not decision.approved and "not computed" in decision.reason


def test_lower_is_better_metrics_flip_the_comparison() -> None:
    gate = GateSettings(regression_metric="r2")
    # rmse is not a gate metric by default; the comparison helper must still treat it as lower-better
    from lightship.registry.gate import LOWER_IS_BETTER

    assert "rmse" in LOWER_IS_BETTER and "roc_auc" not in LOWER_IS_BETTER
    assert decide("regression", {"r2": 0.7}, Champion(1, {"r2": 0.8}), gate).approved is False
