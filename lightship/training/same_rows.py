"""Challenger and champion scored on the same labeled rows: :func:`compare`, the gate's comparison in a retraining run.

Why the same rows: :mod:`lightship.registry.same_rows`, whose :class:`~lightship.registry.same_rows.SameRows`
this returns. :func:`compare` computes the gate metric (the quality job's definitions,
scikit-learn's point values: :func:`lightship.training.segments.metrics_for`) of both bundles on
exactly the rows given. Called by the retraining run (:mod:`lightship.retraining.steps`).

Pure: bundles (anything with ``schema``, ``classes`` and ``predict_rows``) and a frame in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from lightship.registry.same_rows import SameRows

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class Scorable(Protocol):
    @property
    def schema(self) -> Any: ...

    @property
    def classes(self) -> np.ndarray | None: ...

    def predict_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]: ...


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
