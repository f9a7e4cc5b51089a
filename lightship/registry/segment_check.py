"""The gate's segment check: the worst segment may not trail the overall, and each segment must be judgeable.

Pure logic on ``evaluation.json``'s ``segments`` object (:mod:`lightship.training.segments`).
:func:`lightship.registry.gate.decide` calls :func:`check_segments`; any finding holds the
version for a person, and the findings become part of the gate's reason (the version's
approval description).

"Too small to judge" blocks auto-approval rather than only warning: a segment of 12 rows can
hide any gap (its interval spans most of [0, 1]), so approving it unseen would let a model that
ignores a small group through exactly when the check exists to catch it. A person who accepts
the risk approves by hand; the reason names the segment and its count. A segment whose gate
metric cannot be computed (ROC AUC with one class in it) is too small to judge as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lightship.settings import LOWER_IS_BETTER, GateSettings

# How many too-small segments the reason names before it only counts the rest.
NAMED_SMALL = 3


@dataclass(frozen=True)
class SegmentFinding:
    """Why the segments hold a version: the worst segment's gap and the segments too small to judge."""

    worst: str | None  # "region=west roc_auc 0.6100 trails the overall 0.8800 by 0.2700 (max 0.0500)"
    too_small: list[str]  # "region=north (12 rows)"

    @property
    def holds(self) -> bool:
        return self.worst is not None or bool(self.too_small)

    def text(self) -> str:
        parts = []
        if self.worst:
            parts.append(f"worst segment {self.worst}")
        if self.too_small:
            named = ", ".join(self.too_small[:NAMED_SMALL])
            more = f" and {len(self.too_small) - NAMED_SMALL} more" if len(self.too_small) > NAMED_SMALL else ""
            parts.append(f"segment(s) too small to judge: {named}{more}")
        return "; ".join(parts)


def gap(name: str, segment_value: float, overall_value: float) -> float:
    """How far the segment trails the overall, positive when worse, whichever way the metric runs."""
    return segment_value - overall_value if name in LOWER_IS_BETTER else overall_value - segment_value


def check_segments(name: str, overall: float | None, segments: dict[str, Any] | None, gate: GateSettings) -> SegmentFinding:
    """Judge every segment on the gate metric ``name`` against ``overall`` (the version's own figure)."""
    if not segments:
        return SegmentFinding(None, [])
    if overall is None:
        overall = segments.get("overall", {}).get(name, {}).get("value")
    worst: tuple[float, str] | None = None
    too_small: list[str] = []
    for column, rows in sorted(segments.get("by_column", {}).items()):
        for seg in rows:
            label = f"{column}={seg['value']}"
            count = int(seg.get("rows", 0))
            value = seg.get("metrics", {}).get(name, {}).get("value")
            if count < gate.min_segment_rows:
                too_small.append(f"{label} ({count} rows, fewer than {gate.min_segment_rows})")
                continue
            if value is None or overall is None:
                too_small.append(f"{label} ({count} rows, {name} not computable)")
                continue
            trail = gap(name, float(value), float(overall))
            if worst is None or trail > worst[0]:
                worst = (trail, f"{label} {name} {float(value):.4f} trails the overall {float(overall):.4f} "
                                f"by {trail:.4f} (max {gate.max_segment_gap:.4f}, {count} rows)")
    over = worst is not None and worst[0] > gate.max_segment_gap and not math.isclose(worst[0], gate.max_segment_gap, rel_tol=1e-9, abs_tol=1e-12)
    return SegmentFinding(worst[1] if over and worst else None, too_small)
