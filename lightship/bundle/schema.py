"""The feature schema a model was trained on: names, kinds, categories and observed ranges.

Written by training (``lightship.training``), read by serving to validate requests,
by batch scoring to split good rows from rejects, and by drift checks. The fitted
pipeline takes a row as a list in :attr:`FeatureSchema.names` order, so the schema
order *is* the model's input order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FeatureKind = Literal["numeric", "categorical"]
Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class Feature:
    name: str
    kind: FeatureKind
    dtype: str
    nullable: bool = True
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    # When True, a category unseen in training is an input error rather than "other".
    closed_categories: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["categories"] = list(self.categories)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feature:
        return cls(**{**data, "categories": tuple(data.get("categories", ()))})


@dataclass(frozen=True)
class FeatureSchema:
    features: tuple[Feature, ...]
    target: str
    task: Task
    classes: tuple[Any, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def numeric_indices(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.kind == "numeric"]

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.kind == "categorical"]

    def feature(self, name: str) -> Feature:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "task": self.task,
            "classes": list(self.classes),
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSchema:
        return cls(
            features=tuple(Feature.from_dict(f) for f in data["features"]),
            target=data["target"],
            task=data["task"],
            classes=tuple(data.get("classes", ())),
        )


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN: an all-missing column records no range."""
    return None if value is None or math.isnan(value) or math.isinf(value) else float(value)
