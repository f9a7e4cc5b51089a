from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from lightship.quality import metrics
from tests.unit.quality.conftest import calibrated_world


def test_classification_metrics_equal_scikit_learns_on_the_same_rows() -> None:
    scores, labels = calibrated_world(3000, seed=1)
    proba = np.c_[1 - scores, scores]
    out = metrics.classification(labels.astype(str), proba, ["0", "1"])
    assert out["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert out["accuracy"]["value"] == pytest.approx(skm.accuracy_score(labels, (scores >= 0.5).astype(int)), abs=1e-12)
    assert out["log_loss"]["value"] == pytest.approx(skm.log_loss(labels, proba), abs=1e-12)
    assert out["brier"]["value"] == pytest.approx(skm.brier_score_loss(labels, scores), abs=1e-12)
    for key in ("roc_auc", "accuracy", "log_loss", "brier"):
        low, high = out[key]["ci"]
        assert low <= out[key]["value"] <= high
    assert sum(row["rows"] for row in out["calibration"]) == 3000


def test_multiclass_metrics_equal_scikit_learns() -> None:
    rng = np.random.default_rng(2)
    proba = rng.dirichlet([1, 1, 1], size=500)
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, 500)]
    out = metrics.classification(labels, proba, ["a", "b", "c"])
    assert out["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(labels, proba, multi_class="ovr"), abs=1e-12)
    assert out["log_loss"]["value"] == pytest.approx(skm.log_loss(labels, proba, labels=["a", "b", "c"]), abs=1e-12)


def test_regression_metrics_equal_scikit_learns_with_intervals_that_cover_them() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=2000)
    f = y + rng.normal(scale=0.5, size=2000)
    out = metrics.regression(y, f)
    assert out["rmse"]["value"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, f)), abs=1e-12)
    assert out["mae"]["value"] == pytest.approx(skm.mean_absolute_error(y, f), abs=1e-12)
    assert out["r2"]["value"] == pytest.approx(skm.r2_score(y, f), abs=1e-12)
    for key in ("rmse", "mae", "r2"):
        low, high = out[key]["ci"]
        assert low <= out[key]["value"] <= high


def test_the_auc_interval_covers_the_truth_about_95_percent_of_the_time() -> None:
    truth = skm.roc_auc_score(*reversed(calibrated_world(200_000, seed=99)))
    covered = 0
    for seed in range(100):
        scores, labels = calibrated_world(400, seed=seed)
        auc = skm.roc_auc_score(labels, scores)
        low, high = metrics.hanley_mcneil(auc, int(labels.sum()), int(len(labels) - labels.sum()), 0.95)
        covered += low <= truth <= high
    assert covered >= 88


def test_breach_follows_the_metrics_direction() -> None:
    assert metrics.breached("roc_auc", 0.80, 0.90, 0.05)
    assert not metrics.breached("roc_auc", 0.86, 0.90, 0.05)
    assert metrics.breached("rmse", 1.2, 1.0, 0.1)
    assert not metrics.breached("roc_auc", None, 0.9, 0.05)
