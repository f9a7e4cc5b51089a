"""The drift report: every feature's and the predictions' statistics against the baseline,
with the verdicts, as one JSON-ready object (and :mod:`lightship.drift.report_html` renders it).

:func:`drift_report` works from a baseline profile and a merged sketch (the batch run);
``lightship drift`` builds the profile from a reference data set and calls the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lightship.bundle.profile import BaselineProfile, FeatureProfile, NumericProfile
from lightship.drift.drift import FeatureDrift, compare, numeric_labels
from lightship.drift.sketch import Counts, DriftSketch


@dataclass
class DriftReport:
    title: str
    reference_rows: int
    current_rows: int
    features: list[FeatureDrift]
    prediction: FeatureDrift | None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]

    @property
    def prediction_drifted(self) -> bool:
        return bool(self.prediction and self.prediction.drifted)

    @property
    def alert(self) -> bool:
        return bool(self.drifted) or self.prediction_drifted

    @property
    def max_psi(self) -> float:
        return max((f.psi for f in self.features), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "context": self.context,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "alert": self.alert,
            "drifted_features": self.drifted,
            "prediction_drifted": self.prediction_drifted,
            "max_psi": self.max_psi,
            "features": [f.to_dict() for f in self.features],
            "prediction": None if self.prediction is None else self.prediction.to_dict(),
        }


Thresholds = Callable[[str], tuple[float, float]]


def drift_report(
    title: str,
    profile: BaselineProfile,
    current: DriftSketch,
    thresholds: Thresholds,
    context: dict[str, Any] | None = None,
) -> DriftReport:
    features = [
        _compare(name, feature_profile, current.features[name], thresholds)
        for name, feature_profile in profile.features.items()
    ]
    prediction = None
    if current.prediction is not None:
        prediction = _compare("prediction", profile.prediction, current.prediction, thresholds)
    return DriftReport(
        title=title,
        reference_rows=profile.rows,
        current_rows=current.rows,
        features=features,
        prediction=prediction,
        context=dict(context or {}),
    )


def reference_counts(profile: FeatureProfile) -> Counts:
    return Counts(bins=[int(c) for c in profile.counts], missing=int(profile.missing))


def labels_of(profile: FeatureProfile) -> list[str]:
    return numeric_labels(profile.edges) if isinstance(profile, NumericProfile) else profile.labels


def _compare(name: str, profile: FeatureProfile, current: Counts, thresholds: Thresholds) -> FeatureDrift:
    psi_limit, ks_limit = thresholds(name)
    kind: Literal["numeric", "categorical"] = "numeric" if isinstance(profile, NumericProfile) else "categorical"
    return compare(name, kind, reference_counts(profile), current, labels_of(profile), psi_limit, ks_limit)
