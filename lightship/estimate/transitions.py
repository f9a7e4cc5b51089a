"""State transitions of one batch run, counted on the state machine ``cdk synth`` emits (not guessed).

Step Functions (Standard) bills a transition for every state an execution enters, Choice, Map and
Succeed included; every iteration of a Map enters its item processor's states again, and a
Distributed Map's children are executions of their own whose states are billed the same way.
:func:`count_transitions` walks the definition from ``StartAt`` along the path of a successful
run (``Next`` links; at a Choice, the branch into the Map of the run's mode, otherwise the default,
which is the no-alert path), and counts what a run enters once and what each chunk enters.
Retries are billed too and are not counted here (a run without failures).
Called by :func:`lightship.estimate.run.estimate` with the batch stack's synthesized definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

MapMode = Literal["INLINE", "DISTRIBUTED"]


@dataclass(frozen=True)
class RunTransitions:
    per_run: int  # states entered once per run (the Map state itself included)
    per_chunk: int  # states each chunk's iteration (or child execution) enters
    path: tuple[str, ...]  # the states counted per run, in order

    def total(self, chunks: int) -> int:
        return self.per_run + self.per_chunk * chunks


def definition_text(definition: Any) -> str:
    """The ASL JSON from a template's ``DefinitionString`` (a string, or ``Fn::Join`` around references)."""
    if isinstance(definition, str):
        return definition
    if isinstance(definition, dict) and "Fn::Join" in definition:
        separator, parts = definition["Fn::Join"]
        # A reference (an ARN, the account) only ever sits inside a JSON string: any placeholder text will do.
        return separator.join(p if isinstance(p, str) else "ref" for p in parts)
    raise ValueError(f"not a state machine definition: {str(definition)[:80]}")


def _path(states: dict[str, Any], start: str, mode: MapMode) -> list[str]:
    path: list[str] = []
    name: str | None = start
    while name is not None:
        if name in path:
            raise ValueError(f"the success path loops at {name}")
        path.append(name)
        state = states[name]
        if state["Type"] == "Choice":
            nexts = [c["Next"] for c in state.get("Choices", [])]
            into_mode = [n for n in nexts if _map_mode(states[n]) == mode]
            name = into_mode[0] if into_mode else state.get("Default")
        elif state.get("End") or state["Type"] in {"Succeed", "Fail"}:
            name = None
        else:
            name = state.get("Next")
    return path


def _map_mode(state: dict[str, Any]) -> str | None:
    if state.get("Type") != "Map":
        return None
    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
    return str(processor.get("ProcessorConfig", {}).get("Mode", "INLINE"))


def count_transitions(definition: Any, mode: MapMode) -> RunTransitions:
    asl = json.loads(definition_text(definition))
    states = asl["States"]
    path = _path(states, asl["StartAt"], mode)
    maps = [states[n] for n in path if _map_mode(states[n]) == mode]
    if len(maps) != 1:
        raise ValueError(f"expected one {mode} Map on the success path, found {len(maps)}")
    processor = maps[0].get("ItemProcessor") or maps[0]["Iterator"]
    per_chunk = len(_path(processor["States"], processor["StartAt"], mode))
    return RunTransitions(per_run=len(path), per_chunk=per_chunk, path=tuple(path))
