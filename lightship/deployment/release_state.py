"""What the deployment record says about a release under way: :class:`Release`.

Stored as JSON in the record's ``release`` attribute (and so in every history entry
written during the release). Serving reads it to route (:mod:`lightship.serving.routing`),
the release state machine to step, the alarm path to abort. Weights are percentages:
for a canary, the share of requests the candidate answers; for a shadow, the share of
requests the candidate also scores (it never answers).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Mode = Literal["canary", "shadow"]
CANARY: Literal["canary"] = "canary"
SHADOW: Literal["shadow"] = "shadow"


@dataclass(frozen=True)
class Release:
    id: str
    candidate_version: int
    candidate_package_arn: str
    candidate_model_data_url: str
    mode: Mode
    steps: tuple[float, ...]  # canary: the weights in turn; shadow: (sample %,)
    step: int  # index into steps of the weight in force
    bake_seconds: float
    min_requests: int
    max_holds: int
    started_at: str
    step_started_at: str
    holds: int = 0  # checks of the current step that found too little traffic

    @property
    def weight(self) -> float:
        """The percentage in force: the step's, or 0 before the first step is set."""
        return self.steps[self.step] if 0 <= self.step < len(self.steps) else 0.0

    @property
    def last_step(self) -> bool:
        return self.step >= len(self.steps) - 1

    def at_step(self, step: int, at: str) -> Release:
        return replace(self, step=step, step_started_at=at, holds=0)

    def to_json(self) -> str:
        data = asdict(self)
        data["steps"] = list(self.steps)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Release:
        data: dict[str, Any] = json.loads(text)
        data["steps"] = tuple(float(s) for s in data["steps"])
        return cls(**data)

    def describe(self) -> str:
        what = f"{self.weight:g} % of requests" if self.mode == CANARY else f"shadow on {self.weight:g} % of requests"
        plan = " -> ".join(f"{s:g}" for s in self.steps)
        return f"release {self.id}: version {self.candidate_version} as {self.mode}, {what} (steps {plan}, step {self.step + 1})"


def release_of(text: str | None) -> Release | None:
    return Release.from_json(text) if text else None
