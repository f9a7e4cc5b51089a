"""CBPE's promise and its limit. Tolerance: 0.02 of ROC AUC and of accuracy on 5,000 calibrated rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from lightship.quality import calibration, cbpe
from tests.unit.quality.conftest import calibrated_world

TOLERANCE = 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cbpe_lands_within_tolerance_of_realized_quality_on_calibrated_data(seed: int) -> None:
    scores, labels = calibrated_world(5000, seed=seed)
    estimate = cbpe.estimate(scores, scores, scores >= 0.5)
    assert estimate["roc_auc"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=TOLERANCE)
    assert estimate["accuracy"] == pytest.approx(skm.accuracy_score(labels, scores >= 0.5), abs=TOLERANCE)


def test_a_platt_calibrator_fitted_on_a_holdout_repairs_overconfident_scores() -> None:
    scores, labels = calibrated_world(5000, seed=4)
    logit = np.log(scores / (1 - scores))
    overconfident = 1 / (1 + np.exp(-3 * logit))  # same ranking, wrong probabilities
    holdout = slice(0, 1000)
    fitted = calibration.fit_calibration(overconfident[holdout], labels[holdout] == 1, 1)
    live = slice(1000, None)
    raw = cbpe.estimate(overconfident[live], overconfident[live], overconfident[live] >= 0.5)
    fixed = cbpe.estimate(overconfident[live], calibration.calibrate(fitted, overconfident[live]), overconfident[live] >= 0.5)
    realized = skm.roc_auc_score(labels[live], overconfident[live])
    assert abs(fixed["roc_auc"] - realized) <= TOLERANCE < abs(raw["roc_auc"] - realized)


def test_cbpe_is_wrong_under_concept_drift_it_keeps_the_old_estimate_while_quality_falls() -> None:
    # A fifth of rows get the opposite label; the scores (the inputs) are unchanged.
    scores, labels = calibrated_world(5000, seed=5, flip_share=0.2)
    estimate = cbpe.estimate(scores, scores, scores >= 0.5)
    realized = skm.roc_auc_score(labels, scores)
    assert estimate["roc_auc"] - realized > 0.1  # the estimate does not see it: that is what realized metrics are for


def test_the_estimated_auc_handles_ties_and_empty_input() -> None:
    assert cbpe.estimated_roc_auc(np.array([]), np.array([])) is None
    assert cbpe.estimated_roc_auc(np.full(10, 0.5), np.full(10, 0.5)) == pytest.approx(0.5)
