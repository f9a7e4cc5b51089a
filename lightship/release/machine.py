"""The release state machine's tasks: set a step's weight, check it, promote, abort.

The state machine (``infra/stacks/release.py``) carries a small state between tasks
(``release_id``, ``next_step``, ``holds``, ``bake_seconds``, ``verdict``, ``reason``) and
invokes one function (``lambdas/release/handler.py``) with an ``action``; :func:`run_task`
does the work with collaborators passed in, so the handler, the emulator and the tests
run the same code. Every task reads the record first: a release that ended meanwhile (an
alarm aborted it, a person promoted it) makes the task answer ``ended`` and the machine
stop, so the machine never fights the alarm path or a person. Retried tasks are harmless:
each operation is idempotent (:mod:`lightship.release.controller`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lightship.deployment.record import DeploymentRecord
from lightship.registry.model_registry import ModelRegistry
from lightship.release import checks, controller
from lightship.deployment.release_state import release_of

BY = "release state machine"


@dataclass
class Collaborators:
    record: DeploymentRecord
    registry: ModelRegistry
    cloudwatch: Any
    candidate_alarms: list[str]


def run_task(event: dict[str, Any], deps: Collaborators) -> dict[str, Any]:
    action = event.get("action")
    state = dict(event.get("state") or {})
    release_id = str(state.get("release_id") or "")
    if not release_id:
        raise ValueError(f"release task {action!r}: the state has no release_id: {state}")
    by = f"{BY} ({release_id})"
    if action == "set_weight":
        step = int(state.get("next_step", 0))
        outcome = controller.set_step(deps.record, release_id, step, by=by)
        if outcome.release is None or outcome.release.id != release_id:
            return {**state, "verdict": checks.ENDED, "reason": outcome.message, "bake_seconds": 0}
        return {**state, "step": step, "holds": 0, "verdict": "baking", "reason": outcome.message,
                "bake_seconds": int(math.ceil(outcome.release.bake_seconds))}
    if action == "check":
        live = deps.record.live()
        release = release_of(live.release) if live is not None else None
        if release is None or release.id != release_id:
            return {**state, "verdict": checks.ENDED, "reason": f"release {release_id} ended elsewhere"}
        evidence = checks.gather(deps.cloudwatch, release, deps.candidate_alarms)
        verdict = checks.judge(release, evidence, int(state.get("holds", 0)))
        out = {**state, "verdict": verdict.verdict, "reason": verdict.reason, "holds": verdict.holds,
               "requests": evidence.requests, "reject": verdict.blame_candidate}
        if verdict.verdict == checks.NEXT:
            out["next_step"] = release.step + 1
        return out
    if action == "promote":
        try:
            outcome = controller.promote(deps.record, deps.registry, release_id, reason=str(state.get("reason") or "all steps passed"),
                                         by=by)
        except controller.CandidateNotApproved as exc:  # rejected meanwhile: the machine aborts, nothing to reject again
            return {**state, "verdict": checks.ABORT, "reason": str(exc), "reject": False}
        return {**state, "verdict": checks.PROMOTED if outcome.changed else checks.ENDED, "reason": outcome.message}
    if action == "abort":
        outcome = controller.abort(deps.record, deps.registry, release_id, reason=str(state.get("reason") or "aborted"), by=by,
                                   reject=bool(state.get("reject", False)))
        return {**state, "verdict": "aborted" if outcome.changed else checks.ENDED, "reason": outcome.message,
                "rejected": outcome.rejected}
    raise ValueError(f"unknown release task action {action!r}")
