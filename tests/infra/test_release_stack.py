"""The release stack: the state machine's flow (step, bake, check, verdict), its function's least-privilege
grants, and the standalone template the emulator runs being the one the whole app synthesizes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.nag import flatten_cfn_reference
from lightship.monitoring.alarms import candidate_alarm_names
from lightship.resources import names_for


@pytest.fixture(scope="module")
def release(synthesized: Any) -> Template:
    return synthesized.templates["release"]


def _render(node: Any) -> Any:
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, parts = node["Fn::Join"]
            return delimiter.join(str(_render(p)) for p in parts)
        if "Ref" in node:
            return f"<{node['Ref']}>"
        if "Fn::GetAtt" in node:
            return f"<{node['Fn::GetAtt'][0]}.{node['Fn::GetAtt'][1]}>"
    return node


@pytest.fixture(scope="module")
def definition(release: Template) -> dict[str, Any]:
    (machine,) = release.find_resources("AWS::StepFunctions::StateMachine").values()
    return dict(json.loads(_render(machine["Properties"]["DefinitionString"])))


def _statements(template: Template) -> list[dict[str, Any]]:
    functions = template.find_resources("AWS::Lambda::Function")
    role = next(iter(functions.values()))["Properties"]["Role"]["Fn::GetAtt"][0]
    out = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"][0]["Ref"] != role:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            out.append({**statement, "Action": sorted(actions), "Resource": sorted(flatten_cfn_reference(r) for r in resources)})
    return out


def test_flow_sets_the_weight_bakes_checks_and_follows_the_verdict(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["StartAt"] == "SetWeight"
    assert states["SetWeight"]["Next"] == "Bake" and states["Bake"]["Next"] == "Check" and states["Check"]["Next"] == "Verdict"
    assert states["Bake"] == {"Type": "Wait", "SecondsPath": "$.bake_seconds", "Next": "Check"}
    choices = {c["StringEquals"]: c["Next"] for c in states["Verdict"]["Choices"]}
    assert choices == {"next": "SetWeight", "hold": "Bake", "promote": "Promote", "ready": "ShadowReady", "ended": "Ended"}
    assert states["Verdict"]["Default"] == "Abort"
    assert states["Promote"]["Next"] == "PromoteOutcome" and states["Promoted"]["Type"] == "Succeed"
    # Promote answers "abort" for a candidate that lost its approval during the release.
    outcome = {c["StringEquals"]: c["Next"] for c in states["PromoteOutcome"]["Choices"]}
    assert outcome == {"promoted": "Promoted", "ended": "Ended"} and states["PromoteOutcome"]["Default"] == "Abort"
    assert states["Abort"]["Next"] == "ReleaseAborted" and states["ReleaseAborted"]["Type"] == "Fail"
    for name in ("SetWeight", "Check", "Promote"):
        [catch] = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "TaskFailed", name
    assert states["TaskFailed"]["Next"] == "Abort"
    for name, action in (("SetWeight", "set_weight"), ("Check", "check"), ("Promote", "promote"), ("Abort", "abort")):
        assert states[name]["Parameters"] == {"action": action, "state.$": "$"}, name
        assert states[name]["Resource"] == "<ReleaseStepFunction.Arn>" or "ReleaseStepFunction" in states[name]["Resource"], name
        assert any(r["ErrorEquals"] == ["States.ALL"] for r in states[name]["Retry"]), name


def test_state_machine_logs_everything_traces_and_is_named_from_settings(release: Template) -> None:
    release.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineName": "lightship-release",
        "TracingConfiguration": {"Enabled": True},
        "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
    })


def test_release_function_runs_the_handler_with_the_record_and_registry_names(synthesized: Any, release: Template) -> None:
    s = synthesized.settings
    [function] = release.find_resources("AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["FunctionName"] == names_for(s).release_function and props["Handler"] == "lambdas.release.handler.handler"
    env = props["Environment"]["Variables"]
    assert env["LIGHTSHIP_DEPLOYMENT_TABLE"] == names_for(s).deployment_table
    assert env["LIGHTSHIP_MODEL_PACKAGE_GROUP"] == s.model_package_group


def test_release_function_may_only_step_the_record_reject_versions_and_read_the_candidates_evidence(
    synthesized: Any, release: Template
) -> None:
    by_sid = {s["Sid"]: s for s in _statements(release) if "Sid" in s}
    assert by_sid["ReadAndStepRecord"]["Action"] == ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
    assert by_sid["ReadAndStepRecord"]["Resource"] == [
        "arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/lightship-deployments"]
    assert by_sid["ReadAndRejectCandidate"]["Resource"] == [
        "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/lightship-models/*"]
    alarms = by_sid["ReadCandidateAlarms"]
    assert alarms["Action"] == ["cloudwatch:DescribeAlarms"]
    assert alarms["Resource"] == sorted(f"arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:{n}"
                                        for n in candidate_alarm_names(synthesized.settings))
    assert by_sid["ReadCandidateMetrics"]["Action"] == ["cloudwatch:GetMetricStatistics"]
    everything = {a for s in _statements(release) for a in s["Action"]}
    assert not any(a.endswith("*") for a in everything)
    assert not any(a.startswith(("s3:Put", "s3:Delete", "dynamodb:Delete", "dynamodb:Update", "sns:")) for a in everything)
