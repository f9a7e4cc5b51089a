"""The quality gate: approve a new version only if it clears an absolute bar and beats the champion.

Pure logic, no AWS: ``lightship.registry.model_registry`` calls :func:`decide` with the new
version's metrics, its segment metrics (when trained with ``--segments``) and the current
champion's (the latest Approved version), and records the returned reason as the version's
approval description either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lightship.registry.same_rows import SameRows
from lightship.registry.segment_check import check_segments
from lightship.settings import LOWER_IS_BETTER, GateSettings


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
    """The gate metric for ``task`` and its bar (a minimum, or a maximum for an error metric)."""
    if task == "classification":
        return gate.classification_metric, gate.classification_min
    if gate.regression_metric in LOWER_IS_BETTER:
        assert gate.regression_max is not None  # GateSettings requires it with an error metric
        return gate.regression_metric, gate.regression_max
    return gate.regression_metric, gate.regression_min


def improvement(name: str, value: float, champion_value: float) -> float:
    """How much better ``value`` is than the champion's, positive when better, whichever way the metric runs."""
    return champion_value - value if name in LOWER_IS_BETTER else value - champion_value


def beats(name: str, value: float, champion_value: float, margin: float) -> bool:
    """Strictly better, by at least ``margin``: a twin of the champion (same metric) never beats it.

    The tolerance only absorbs float rounding (0.7863 - 0.7763 is 0.00999...).
    """
    gain = improvement(name, value, champion_value)
    return gain > 0 and (gain >= margin or math.isclose(gain, margin, rel_tol=1e-9, abs_tol=1e-12))


WAITING = "; waiting for a person"


def decide(task: str, metrics: dict[str, Any], champion: Champion | None, gate: GateSettings,
           segments: dict[str, Any] | None = None, same_rows: SameRows | None = None) -> GateDecision:
    """The overall verdict, then the segment check (:mod:`lightship.registry.segment_check`) when the
    evaluation has segment metrics: a finding holds the version and joins the reason either way.

    With ``same_rows`` (a retraining run: :mod:`lightship.registry.same_rows`) the bar and the
    margin apply to both versions' metric on those rows, not to each one's own holdout, and the
    reason says which rows; ``champion`` must then be the version those rows scored.
    """
    if same_rows is not None:
        if champion is None or champion.version != same_rows.champion_version:
            raise ValueError(f"the same-rows comparison scored v{same_rows.champion_version}, not the champion")
        compared = _decide_overall(task, same_rows.metrics(), Champion(champion.version, same_rows.champion_metrics()), gate)
        overall = GateDecision(compared.approved, compared.metric, compared.value,
                               compared.reason.replace("gate: ", f"gate, {same_rows.describe()}: ", 1))
    else:
        overall = _decide_overall(task, metrics, champion, gate)
    finding = check_segments(overall.metric, overall.value, segments, gate)
    if not finding.holds:
        return overall
    core = overall.reason.removesuffix(WAITING)
    return GateDecision(False, overall.metric, overall.value, f"{core}; but {finding.text()}{WAITING}")


def _decide_overall(task: str, metrics: dict[str, Any], champion: Champion | None, gate: GateSettings) -> GateDecision:
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
    comparison = f"champion v{champion.version} ({float(champion_value):.4f}) by at least {margin:.4f}"
    if beats(name, value, float(champion_value), margin):
        return GateDecision(True, name, value, f"gate: {name} {value:.4f} clears {bar:.4f} and beats {comparison}")
    return GateDecision(False, name, value, f"gate: {name} {value:.4f} does not beat {comparison}; waiting for a person")
