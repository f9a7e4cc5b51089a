"""The baseline profile for drift: per-feature binned distributions of the training data
and of the model's predictions on it.

Bins are fixed at training time (reference quantiles for numbers, the seen categories
for categories), so any later data set is summarised as counts on the *same* bins.
Counts add up, which is what lets batch scoring summarise each chunk on its own and
merge the summaries exactly (see ``batch``). Training writes the profile; drift
checks read it; :meth:`NumericProfile.count` and :meth:`CategoricalProfile.count`
are the one way both sides turn values into counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

OTHER = "__other__"


@dataclass
class NumericProfile:
    """Counts on ``len(edges) + 1`` bins: ``(-inf, e0], (e0, e1], ..., (e_last, inf)``, plus missing."""

    edges: list[float]
    counts: list[int]
    missing: int = 0
    kind: str = "numeric"

    @classmethod
    def fit(cls, values: np.ndarray, bins: int) -> NumericProfile:
        x = np.asarray(values, dtype=float)
        present = x[np.isfinite(x)]
        if present.size:
            quantiles = np.quantile(present, np.linspace(0.0, 1.0, bins + 1)[1:-1])
            edges = np.unique(quantiles).tolist()
        else:
            edges = []
        profile = cls(edges=edges, counts=[0] * (len(edges) + 1))
        counts, missing = profile.count(x)
        profile.counts, profile.missing = counts.tolist(), missing
        return profile

    def count(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """Counts of ``values`` on this profile's bins, and how many were missing."""
        x = np.asarray(values, dtype=float)
        finite = np.isfinite(x)
        # Bin k holds e[k-1] < v <= e[k]. Sorting the values and searching the few edges in them
        # gives the same counts as searching every value in the edges, several times faster on
        # large arrays (a sort is branch-free; a search per value mispredicts).
        present = np.sort(x[finite])
        at_or_below = np.searchsorted(present, np.asarray(self.edges, dtype=float), side="right")
        counts = np.diff(np.concatenate(([0], at_or_below, [present.size]))).astype(np.int64)
        return counts, int(x.size - finite.sum())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": self.edges, "counts": self.counts, "missing": self.missing}


@dataclass
class CategoricalProfile:
    """Counts per category seen in training, one ``__other__`` bin for the rest, plus missing."""

    categories: list[str]
    counts: list[int]
    missing: int = 0
    kind: str = "categorical"
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def fit(cls, values: np.ndarray, max_categories: int = 50) -> CategoricalProfile:
        x = np.asarray(values, dtype=object)
        present = x[~_is_missing(x)].astype(str)
        uniques, freq = np.unique(present, return_counts=True)
        order = np.argsort(-freq, kind="stable")[:max_categories]
        profile = cls(categories=sorted(uniques[order].tolist()), counts=[])
        counts, missing = profile.count(x)
        profile.counts, profile.missing = counts.tolist(), missing
        return profile

    @property
    def labels(self) -> list[str]:
        return [*self.categories, OTHER]

    def count(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        x = np.asarray(values, dtype=object)
        missing = _is_missing(x)
        if not self._index:
            self._index = {c: i for i, c in enumerate(self.categories)}
        other = len(self.categories)
        present = x[~missing].astype(str)
        uniques, inverse = np.unique(present, return_inverse=True)
        slots = np.array([self._index.get(u, other) for u in uniques.tolist()], dtype=np.int64)
        counts = np.bincount(slots[inverse] if present.size else np.zeros(0, dtype=np.int64), minlength=other + 1)
        return counts, int(missing.sum())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "categories": self.categories, "counts": self.counts, "missing": self.missing}


FeatureProfile = NumericProfile | CategoricalProfile


@dataclass
class BaselineProfile:
    rows: int
    features: dict[str, FeatureProfile]
    prediction: FeatureProfile

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "features": {name: p.to_dict() for name, p in self.features.items()},
            "prediction": self.prediction.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaselineProfile:
        return cls(
            rows=int(data["rows"]),
            features={name: profile_from_dict(p) for name, p in data["features"].items()},
            prediction=profile_from_dict(data["prediction"]),
        )


def profile_from_dict(data: dict[str, Any]) -> FeatureProfile:
    if data["kind"] == "numeric":
        return NumericProfile(edges=list(data["edges"]), counts=list(data["counts"]), missing=int(data["missing"]))
    return CategoricalProfile(categories=list(data["categories"]), counts=list(data["counts"]), missing=int(data["missing"]))


def _is_missing(x: np.ndarray) -> np.ndarray:
    """None, NaN and empty strings are missing, in an object array."""
    out = np.fromiter((v is None or v != v or v == "" for v in x.tolist()), dtype=bool, count=x.size)
    return out
