"""Challenger and champion scored on the same labeled rows: the gate's comparison for a retraining run.

A retrained version's own holdout is a sample of what it was trained on: the parent's old rows
and the window's fresh labels together. Under concept drift the old rows' labels follow the old
concept, so that holdout mixes two concepts, and the champion's figure (on its own, older holdout)
is not comparable with it. A retraining run therefore holds a share of the window's labeled rows
out of training (:func:`lightship.retraining.dataset.assemble`) and scores **both bundles on
exactly those rows**: the rows neither model was trained on, drawn from the concept the next
version will serve. :func:`compare` computes the gate metric (the quality job's definitions,
scikit-learn's point values: :func:`lightship.training.segments.metrics_for`) for both;
:meth:`SameRows.metrics` and :meth:`SameRows.champion_metrics` are what the gate then decides on
(:func:`lightship.registry.gate.decide`), and :meth:`SameRows.describe` goes into the approval
description and the evaluation report.

Pure: bundles (anything with ``schema``, ``classes`` and ``predict_rows``) and a frame in. The
registry and the gate import :class:`SameRows` only; the scoring imports (numpy, pandas,
scikit-learn) wait for :func:`score`, so the rollback function's zip, which imports the registry,
needs none of them (tests/unit/rollback/test_handler_package.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class Scorable(Protocol):
    @property
    def schema(self) -> Any: ...

    @property
    def classes(self) -> np.ndarray | None: ...

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]: ...


@dataclass(frozen=True)
class SameRows:
    """The gate metric of the challenger and of champion ``champion_version`` on the same ``rows`` labeled rows."""

    rows: int
    metric: str
    challenger: float | None
    champion: float | None
    champion_version: int
    where: str  # which rows, in words (e.g. "labeled rows of 2026-11-04..2026-12-03 held out of training")
    challenger_ci: list[float] | None = None
    champion_ci: list[float] | None = None

    def metrics(self) -> dict[str, Any]:
        return {self.metric: self.challenger}

    def champion_metrics(self) -> dict[str, Any]:
        return {self.metric: self.champion}

    def describe(self) -> str:
        return f"on the same {self.rows:,} {self.where}"

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "metric": self.metric, "where": self.where, "champion_version": self.champion_version,
                "challenger": {"value": self.challenger, "ci": self.challenger_ci},
                "champion": {"value": self.champion, "ci": self.champion_ci}}


def score(bundle: Scorable, frame: pd.DataFrame, target: str, task: str, confidence: float = 0.95) -> dict[str, Any]:
    """Every metric of ``bundle`` on ``frame``'s rows (``{metric: {"value", "ci"}}``)."""
    import numpy as np

    from lightship.training.features import frame_to_rows
    from lightship.training.segments import metrics_for

    rows = frame_to_rows(frame, bundle.schema)
    predictions, proba = bundle.predict_rows(rows)
    y = frame[target].to_numpy()
    classes = bundle.classes
    if task == "classification" and classes is not None:
        # Labels read back from text must meet the classes as the model knows them (0/1, not "0"/"1").
        by_text = {str(c): c for c in classes}
        y = np.array([by_text.get(str(v), v) for v in y])
        predictions = np.array([by_text.get(str(v), v) for v in predictions])
    return metrics_for(task, y, np.asarray(predictions), proba, classes, confidence)


def compare(challenger: Scorable, champion: Scorable, frame: pd.DataFrame, *, target: str, task: str, metric: str,
            champion_version: int, where: str, confidence: float = 0.95) -> SameRows:
    """Both bundles scored on ``frame`` (features and ``target``); the gate metric of each."""
    if frame.empty:
        raise ValueError("no rows to compare the challenger and the champion on")
    mine = score(challenger, frame, target, task, confidence).get(metric, {})
    theirs = score(champion, frame, target, task, confidence).get(metric, {})
    return SameRows(rows=int(len(frame)), metric=metric, challenger=_value(mine), champion=_value(theirs),
                    champion_version=champion_version, where=where, challenger_ci=mine.get("ci"), champion_ci=theirs.get("ci"))


def _value(entry: dict[str, Any]) -> float | None:
    value = entry.get("value")
    return None if value is None else float(value)
