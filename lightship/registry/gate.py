"""The quality gate: approve a new version only if it clears an absolute bar and beats the champion.

Pure logic, no AWS: ``lightship.registry.model_registry`` calls :func:`decide` with the new
version's metrics and the current champion's (the latest Approved version), and records the
returned reason as the version's approval description either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightship.settings import GateSettings

# Metrics where lower is better; the gate flips its comparisons for these.
LOWER_IS_BETTER = frozenset({"rmse", "mae", "log_loss"})


@dataclass(frozen=True)
class GateDecision:
    approved: bool
    metric: str
    value: float | None
    reason: str

    @property
    def status(self) -> str:
        return "Approved" if self.approved else "PendingManualApproval"


@dataclass(frozen=True)
class Champion:
    version: int
    metrics: dict[str, Any]


def metric_for(task: str, gate: GateSettings) -> tuple[str, float]:
    if task == "classification":
        return gate.classification_metric, gate.classification_min
    return gate.regression_metric, gate.regression_min


def decide(task: str, metrics: dict[str, Any], champion: Champion | None, gate: GateSettings) -> GateDecision:
    name, bar = metric_for(task, gate)
    value = metrics.get(name)
    if value is None:
        return GateDecision(False, name, None, f"gate: metric {name} was not computed; waiting for a person")
    value = float(value)
    lower = name in LOWER_IS_BETTER
    clears_bar = value <= bar if lower else value >= bar
    if not clears_bar:
        relation = "above the maximum" if lower else "below the minimum"
        return GateDecision(False, name, value, f"gate: {name} {value:.4f} is {relation} {bar:.4f}; waiting for a person")
    if champion is None:
        return GateDecision(True, name, value, f"gate: {name} {value:.4f} clears {bar:.4f}; no champion yet")
    champion_value = champion.metrics.get(name)
    if champion_value is None:
        return GateDecision(True, name, value, f"gate: {name} {value:.4f} clears {bar:.4f}; champion v{champion.version} has no {name}")
    margin = gate.min_improvement
    beats = value <= float(champion_value) - margin if lower else value >= float(champion_value) + margin
    comparison = f"champion v{champion.version} has {float(champion_value):.4f}, margin {margin:.4f}"
    if beats:
        return GateDecision(True, name, value, f"gate: {name} {value:.4f} clears {bar:.4f} and beats {comparison}")
    return GateDecision(False, name, value, f"gate: {name} {value:.4f} does not beat {comparison}; waiting for a person")
