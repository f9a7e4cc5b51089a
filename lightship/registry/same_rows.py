"""Challenger and champion on the same labeled rows: :class:`SameRows`, what the gate decides on in a retraining run.

A retrained version's own holdout is a sample of what it was trained on: the parent's old rows
and the window's fresh labels together. Under concept drift the old rows' labels follow the old
concept, so that holdout mixes two concepts, and the champion's figure (on its own, older holdout)
is not comparable with it. A retraining run therefore holds a share of the window's labeled rows
out of training (:func:`lightship.retraining.dataset.assemble`) and scores **both bundles on
exactly those rows** (:func:`lightship.training.same_rows.compare`). :meth:`SameRows.metrics` and
:meth:`SameRows.champion_metrics` are what the gate then decides on
(:func:`lightship.registry.gate.decide`), and :meth:`SameRows.describe` goes into the approval
description and the evaluation report.

Plain data: the registry and the gate import it without any scoring library, so the rollback
function's zip, which imports the registry, needs none of them (tests/unit/rollback/test_handler_package.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
