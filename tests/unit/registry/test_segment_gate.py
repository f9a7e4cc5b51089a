"""The gate's segment check: a planted gap holds the version, and so does a segment too small to judge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lightship.datasets import customers
from lightship.registry.gate import Champion, decide
from lightship.settings import GateSettings
from lightship.training.data import load_training_data
from lightship.training.run import train

GATE = GateSettings(classification_min=0.6, max_segment_gap=0.15, min_segment_rows=30)


def _evaluation(tmp_path: Path, plant: bool) -> dict[str, Any]:
    frame = customers(rows=5000, seed=11)
    if plant:
        # West's labels are shuffled among its own rows: same churn rate, no relation to the features,
        # so whatever the model learns elsewhere is no better than chance there.
        west = (frame["region"] == "west").to_numpy()
        rng = np.random.default_rng(0)
        frame.loc[west, "churned"] = rng.permutation(frame.loc[west, "churned"].to_numpy())
    path = tmp_path / f"customers-{plant}.csv"
    frame.to_csv(path, index=False)
    return train(load_training_data(path, "churned"), "logistic", {}, segments=["region"]).evaluation


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("gate")
    return {plant: _evaluation(tmp, plant) for plant in (False, True)}


def test_a_model_that_fails_one_segment_is_held_with_that_segment_named(evaluations: dict[bool, dict[str, Any]]) -> None:
    evaluation = evaluations[True]
    assert evaluation["metrics"]["roc_auc"] > GATE.classification_min  # overall, it would pass
    west = next(s for s in evaluation["segments"]["by_column"]["region"] if s["value"] == "west")
    decision = decide("classification", evaluation["metrics"], None, GATE, segments=evaluation["segments"])
    assert not decision.approved and decision.status == "PendingManualApproval"
    assert decision.reason.startswith(f"gate: roc_auc {evaluation['metrics']['roc_auc']:.4f} clears 0.6000; no champion yet; but worst segment region=west")
    assert f"region=west roc_auc {west['metrics']['roc_auc']['value']:.4f} trails the overall" in decision.reason
    assert decision.reason.endswith("; waiting for a person")
    # Without its segments the same version would have been approved: the segments alone hold it.
    assert decide("classification", evaluation["metrics"], None, GATE).approved


def test_the_same_model_on_honest_labels_passes_the_segment_check(evaluations: dict[bool, dict[str, Any]]) -> None:
    evaluation = evaluations[False]
    decision = decide("classification", evaluation["metrics"], None, GATE, segments=evaluation["segments"])
    assert decision.approved, decision.reason
    assert "segment" not in decision.reason


def _segments(rows: dict[str, tuple[int, float | None]], metric: str = "roc_auc") -> dict[str, Any]:
    return {"by_column": {"region": [{"value": v, "rows": n, "metrics": {metric: {"value": m, "ci": None}}} for v, (n, m) in rows.items()]}}


def test_a_segment_too_small_to_judge_holds_the_version_and_gives_its_count() -> None:
    segments = _segments({"north": (400, 0.86), "west": (12, 0.99)})
    decision = decide("classification", {"roc_auc": 0.85}, None, GATE, segments=segments)
    assert not decision.approved
    assert "segment(s) too small to judge: region=west (12 rows, fewer than 30)" in decision.reason
    assert "worst segment" not in decision.reason  # north trails by nothing


def test_a_segment_without_the_metric_is_too_small_to_judge() -> None:
    segments = _segments({"north": (400, 0.86), "west": (80, None)})  # e.g. one class only in west
    decision = decide("classification", {"roc_auc": 0.85}, None, GATE, segments=segments)
    assert not decision.approved and "region=west (80 rows, roc_auc not computable)" in decision.reason


def test_the_gap_is_measured_in_the_metrics_direction_and_the_limit_itself_passes() -> None:
    rmse_gate = GateSettings(regression_metric="rmse", regression_max=20.0, min_improvement=0.5, max_segment_gap=2.0)
    worse = _segments({"a": (100, 13.0), "b": (100, 9.0)}, metric="rmse")  # a's error is 3 above the overall 10
    held = decide("regression", {"rmse": 10.0}, None, rmse_gate, segments=worse)
    assert not held.approved and "region=a rmse 13.0000 trails the overall 10.0000 by 3.0000 (max 2.0000, 100 rows)" in held.reason
    at_limit = _segments({"a": (100, 12.0), "b": (100, 9.0)}, metric="rmse")
    assert decide("regression", {"rmse": 10.0}, None, rmse_gate, segments=at_limit).approved
    auc_at_limit = _segments({"a": (100, 0.80), "b": (100, 0.95)})
    assert decide("classification", {"roc_auc": 0.95}, None, GateSettings(max_segment_gap=0.15), segments=auc_at_limit).approved


def test_a_version_already_held_keeps_its_reason_and_adds_the_segments() -> None:
    segments = _segments({"north": (400, 0.60), "west": (400, 0.90)})
    decision = decide("classification", {"roc_auc": 0.80}, Champion(4, {"roc_auc": 0.85}), GATE, segments=segments)
    assert not decision.approved
    assert decision.reason == (
        "gate: roc_auc 0.8000 does not beat champion v4 (0.8500) by at least 0.0100; but worst segment region=north "
        "roc_auc 0.6000 trails the overall 0.8000 by 0.2000 (max 0.1500, 400 rows); waiting for a person")


def test_many_small_segments_are_counted_not_all_named() -> None:
    segments = _segments({f"r{i}": (5, 0.9) for i in range(6)})
    reason = decide("classification", {"roc_auc": 0.9}, None, GATE, segments=segments).reason
    assert "region=r0 (5 rows, fewer than 30), region=r1" in reason and "and 3 more" in reason
