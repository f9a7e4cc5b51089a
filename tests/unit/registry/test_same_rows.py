"""Challenger and champion on the same labeled rows: the values are scikit-learn's on those rows, and the gate
decides on them (bar and margin), saying which rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from lightship.datasets import customers
from lightship.registry.gate import Champion, decide
from lightship.registry.same_rows import SameRows
from lightship.training.same_rows import compare, score
from lightship.settings import GateSettings
from lightship.training.data import TrainingData
from lightship.training.features import frame_to_rows
from lightship.training.run import TrainingResult, train

FLIPPED = "west"


def _data(frame: pd.DataFrame) -> TrainingData:
    return TrainingData(frame=frame.reset_index(drop=True), target="churned", task="classification", files=(), sha256="-",
                        rows_read=len(frame), rows_without_target=0)


class Bundle:
    """A trained pipeline as a bundle answers: schema, classes, predict_rows (what :mod:`lightship.training.same_rows` reads)."""

    def __init__(self, result: TrainingResult) -> None:
        self.schema, self.pipeline = result.schema, result.pipeline

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.pipeline.classes_)

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        proba = self.pipeline.predict_proba(rows)
        return self.classes[np.argmax(proba, axis=1)], proba


def drifted(rows: int, seed: int) -> pd.DataFrame:
    """Concept drift: one region's customers now do the opposite of what they did."""
    frame = customers(rows=rows, seed=seed)
    frame["churned"] = frame["churned"].where(frame["region"] != FLIPPED, 1 - frame["churned"])
    return frame


@pytest.fixture(scope="module")
def models() -> tuple[Bundle, Bundle, pd.DataFrame]:
    old = customers(rows=1500, seed=7)
    new = drifted(4000, seed=42)
    champion = Bundle(train(_data(old), "logistic", {"C": 1.0}))
    challenger = Bundle(train(_data(pd.concat([old, new.iloc[:3000]])), "logistic", {"C": 1.0}))
    return challenger, champion, new.iloc[3000:].reset_index(drop=True)


def test_each_bundle_is_scored_on_the_rows_as_scikit_learn_scores_it(models: tuple[Bundle, Bundle, pd.DataFrame]) -> None:
    challenger, champion, rows = models
    got = compare(challenger, champion, rows, target="churned", task="classification", metric="roc_auc", champion_version=2,
                  where="labeled rows held out of training")
    for bundle, value in ((challenger, got.challenger), (champion, got.champion)):
        proba = bundle.pipeline.predict_proba(frame_to_rows(rows, bundle.schema))
        assert value == pytest.approx(skm.roc_auc_score(rows["churned"] == 1, proba[:, 1]), abs=1e-12)
    assert got.rows == 1000 and got.champion_version == 2 and got.metric == "roc_auc"
    assert got.challenger_ci is not None and got.challenger_ci[0] < got.challenger < got.challenger_ci[1]
    # Under concept drift the champion is worse on the new concept's rows, the retrained version better.
    assert got.challenger > got.champion


def test_labels_read_back_as_text_meet_the_classes_as_numbers(models: tuple[Bundle, Bundle, pd.DataFrame]) -> None:
    challenger, _, rows = models
    as_text = rows.assign(churned=rows["churned"].astype(str))
    proba = challenger.pipeline.predict_proba(frame_to_rows(rows, challenger.schema))
    scored = score(challenger, as_text, "churned", "classification")
    predicted = challenger.classes[np.argmax(proba, axis=1)]
    assert scored["accuracy"]["value"] == pytest.approx(skm.accuracy_score(rows["churned"], predicted), abs=1e-12)
    assert scored["f1_macro"]["value"] == pytest.approx(skm.f1_score(rows["churned"], predicted, average="macro"), abs=1e-12)


def test_no_rows_is_an_error_not_a_comparison(models: tuple[Bundle, Bundle, pd.DataFrame]) -> None:
    challenger, champion, rows = models
    with pytest.raises(ValueError, match="no rows"):
        compare(challenger, champion, rows.iloc[:0], target="churned", task="classification", metric="roc_auc",
                champion_version=1, where="-")


GATE = GateSettings(classification_min=0.7, min_improvement=0.01)
OWN = {"roc_auc": 0.60}  # the challenger's own holdout (old and new concepts mixed): not what the gate reads here
CHAMPION = Champion(2, {"roc_auc": 0.80})  # the champion's own, older holdout


def rows(challenger: float | None, champion: float | None, version: int = 2) -> SameRows:
    return SameRows(rows=1000, metric="roc_auc", challenger=challenger, champion=champion, champion_version=version,
                    where="labeled rows of the 30 days to 2026-12-03 held out of training")


def test_the_gate_compares_both_versions_on_the_same_rows_and_says_so() -> None:
    decision = decide("classification", OWN, CHAMPION, GATE, same_rows=rows(0.76, 0.62))
    assert decision.approved and decision.value == 0.76
    assert decision.reason == ("gate, on the same 1,000 labeled rows of the 30 days to 2026-12-03 held out of training: "
                               "roc_auc 0.7600 clears 0.7000 and beats champion v2 (0.6200) by at least 0.0100")
    # Without the same rows, the same versions compare their own holdouts: the retrained one is held.
    assert not decide("classification", OWN, CHAMPION, GATE).approved


@pytest.mark.parametrize(("challenger", "champion", "why"), [
    (0.755, 0.75, "does not beat champion v2 (0.7500)"),  # better, but by less than the margin
    (0.69, 0.60, "roc_auc 0.6900 is below the minimum 0.7000"),  # better, but under the bar on these rows
    (None, 0.60, "metric roc_auc was not computed"),  # one class only in the rows
])
def test_the_bar_and_the_margin_apply_on_the_same_rows(challenger: float | None, champion: float, why: str) -> None:
    decision = decide("classification", {"roc_auc": 0.99}, CHAMPION, GATE, same_rows=rows(challenger, champion))
    assert not decision.approved and why in decision.reason


def test_rows_scored_against_another_version_are_not_the_champion_s() -> None:
    with pytest.raises(ValueError, match="scored v3, not the champion"):
        decide("classification", OWN, CHAMPION, GATE, same_rows=rows(0.8, 0.6, version=3))
