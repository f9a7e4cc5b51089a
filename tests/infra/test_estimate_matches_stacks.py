"""``lightship estimate`` prices what the stacks build: the serving function's architecture, SnapStart and
API type, and the batch machine's transitions counted on the synthesized definition."""

from __future__ import annotations

from typing import Any

from lightship.estimate import Load, estimate
from lightship.estimate.cost import SERVING_API, SERVING_ARCHITECTURE, SERVING_SNAPSTART
from lightship.estimate.run import batch_definition
from lightship.estimate.transitions import count_transitions
from lightship.resources import names_for


def _batch_definition(synthesized: Any) -> Any:
    [machine] = synthesized.templates["batch"].find_resources("AWS::StepFunctions::StateMachine").values()
    return machine["Properties"]["DefinitionString"]


def test_the_serving_stack_is_what_the_estimate_prices(synthesized: Any) -> None:
    serving = synthesized.templates["serving"]
    [function] = [f for f in serving.find_resources("AWS::Lambda::Function").values()
                  if f["Properties"].get("FunctionName") == names_for(synthesized.settings).serving_function]
    props = function["Properties"]
    assert props.get("Architectures", ["x86_64"]) == [SERVING_ARCHITECTURE]
    assert (props.get("SnapStart", {}).get("ApplyOn") == "PublishedVersions") is SERVING_SNAPSTART
    assert props["MemorySize"] == synthesized.settings.serving.memory_mb
    [api] = serving.find_resources("AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "HTTP" and SERVING_API == "HTTP API"


def test_batch_transitions_are_counted_on_the_synthesized_machine(synthesized: Any) -> None:
    definition = _batch_definition(synthesized)
    # By hand from the template: ResolveLiveModel, PlanChunks, ChooseMapMode, the Map, MergeDriftReport,
    # DriftOverThreshold (no alert), Done: 7 a run; each chunk enters its one scoring task.
    inline = count_transitions(definition, "INLINE")
    assert inline.path == ("ResolveLiveModel", "PlanChunks", "ChooseMapMode", "ScoreChunks", "MergeDriftReport", "DriftOverThreshold", "Done")
    assert inline.per_chunk == 1
    distributed = count_transitions(definition, "DISTRIBUTED")
    assert distributed.path[3] == "ScoreChunksDistributed" and (distributed.per_run, distributed.per_chunk) == (7, 1)
    # What the CLI reads (the emulator's cached synth of the batch stack) is the same machine.
    assert count_transitions(batch_definition(synthesized.settings), "DISTRIBUTED") == distributed
    result = estimate(synthesized.settings, Load(rps=1, batch_rows=1_000_000_000))
    assert result.transitions == distributed and result.chunks == 5000
