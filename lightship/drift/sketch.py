"""The drift sketch: counts of a chunk's rows on the baseline profile's bins, per feature and
for the predictions. Sketches add up, so ``merge(sketch(a), sketch(b)) == sketch(a + b)``
exactly and a run's drift statistics never need a second pass over the data.

Binning is the profile's own :meth:`NumericProfile.count` / :meth:`CategoricalProfile.count`,
the one training used for the baseline. :mod:`batch.score` sketches each chunk,
:mod:`batch.finalize` merges them, :mod:`lightship.drift.compare` sketches whole data sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lightship.bundle.profile import BaselineProfile, CategoricalProfile, FeatureProfile, NumericProfile

PREDICTION = "__prediction__"


@dataclass
class Counts:
    """Counts on one profile's bins, and how many values were missing."""

    bins: list[int]
    missing: int = 0

    def add(self, other: Counts) -> Counts:
        if len(self.bins) != len(other.bins):
            raise ValueError(f"cannot merge counts on {len(self.bins)} and {len(other.bins)} bins")
        return Counts(bins=[a + b for a, b in zip(self.bins, other.bins, strict=True)], missing=self.missing + other.missing)

    @property
    def total(self) -> int:
        return sum(self.bins) + self.missing


@dataclass
class DriftSketch:
    rows: int = 0
    features: dict[str, Counts] = field(default_factory=dict)
    prediction: Counts | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "features": {k: {"bins": v.bins, "missing": v.missing} for k, v in self.features.items()},
            "prediction": None if self.prediction is None else {"bins": self.prediction.bins, "missing": self.prediction.missing},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftSketch:
        prediction = data.get("prediction")
        return cls(
            rows=int(data["rows"]),
            features={k: Counts(list(v["bins"]), int(v["missing"])) for k, v in data["features"].items()},
            prediction=None if prediction is None else Counts(list(prediction["bins"]), int(prediction["missing"])),
        )


def empty_sketch(profile: BaselineProfile) -> DriftSketch:
    return DriftSketch(
        rows=0,
        features={name: Counts([0] * _bin_count(p)) for name, p in profile.features.items()},
        prediction=Counts([0] * _bin_count(profile.prediction)),
    )


def merge(sketches: Iterable[DriftSketch]) -> DriftSketch:
    out: DriftSketch | None = None
    for sketch in sketches:
        if out is None:
            out = DriftSketch(rows=sketch.rows, features=dict(sketch.features), prediction=sketch.prediction)
            continue
        if set(out.features) != set(sketch.features):
            raise ValueError("cannot merge sketches of different features")
        out = DriftSketch(
            rows=out.rows + sketch.rows,
            features={k: out.features[k].add(sketch.features[k]) for k in out.features},
            prediction=_add_optional(out.prediction, sketch.prediction),
        )
    if out is None:
        raise ValueError("no sketches to merge")
    return out


def count_values(profile: FeatureProfile, values: Any) -> Counts:
    """Counts of ``values`` (a Series or an array) on ``profile``'s bins."""
    if isinstance(profile, NumericProfile):
        counts, missing = profile.count(np.asarray(values, dtype=float))
        return Counts(bins=[int(c) for c in counts], missing=int(missing))
    return _count_categorical(profile, values)


def sketch_frame(profile: BaselineProfile, frame: pd.DataFrame, prediction_values: Any | None) -> DriftSketch:
    """Sketch the profile's features from ``frame``'s columns (and the predictions, when given)."""
    features = {}
    for name, feature_profile in profile.features.items():
        column = frame[name] if name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        if isinstance(feature_profile, NumericProfile):
            features[name] = count_values(feature_profile, pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        else:
            features[name] = count_values(feature_profile, column)
    prediction = None if prediction_values is None else count_values(profile.prediction, prediction_values)
    return DriftSketch(rows=len(frame), features=features, prediction=prediction)


def prediction_values(task: str, predictions: np.ndarray, probabilities: np.ndarray | None) -> np.ndarray:
    """What the baseline profiles about predictions (see ``training.run.prediction_profile``):
    the positive-class probability for binary classifiers, the class for multiclass, the value for regression."""
    if task == "regression" or probabilities is None:
        return np.asarray(predictions, dtype=float)
    if probabilities.shape[1] == 2:
        return probabilities[:, 1]
    return np.asarray(predictions).astype(str)


def _count_categorical(profile: CategoricalProfile, values: Any) -> Counts:
    # Factorize once, then let the profile bin each distinct value: the profile stays the
    # only authority on binning, at the cost of one call per distinct value, not per row.
    # A Series is factorized as it is (arrow strings stay arrow: no per-value Python objects).
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    frequency = np.bincount(codes[codes >= 0], minlength=len(uniques)) if len(uniques) else np.zeros(0, dtype=np.int64)
    bins = np.zeros(len(profile.categories) + 1, dtype=np.int64)
    missing = int((codes < 0).sum())
    if len(uniques):
        distinct = np.asarray(uniques, dtype=object)
        for value, freq in zip(distinct.tolist(), frequency.tolist(), strict=True):
            slot_counts, slot_missing = profile.count(np.array([value], dtype=object))
            if slot_missing:
                missing += freq
            else:
                bins += slot_counts * freq
    return Counts(bins=[int(b) for b in bins], missing=missing)


def _bin_count(profile: FeatureProfile) -> int:
    return len(profile.edges) + 1 if isinstance(profile, NumericProfile) else len(profile.categories) + 1


def _add_optional(a: Counts | None, b: Counts | None) -> Counts | None:
    if a is None:
        return b
    if b is None:
        return a
    return a.add(b)
