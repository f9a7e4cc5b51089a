"""The quality stack: the scheduled state machine's flow (measure, alert, failure), its function's
least-privilege grants, and the standalone template the emulator runs being the one the whole app synthesizes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.nag import flatten_cfn_reference
from lightship.settings import Settings


@pytest.fixture(scope="module")
def quality(synthesized: Any) -> Template:
    return synthesized.templates["quality"]


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
def definition(quality: Template) -> dict[str, Any]:
    (machine,) = quality.find_resources("AWS::StepFunctions::StateMachine").values()
    return dict(json.loads(_render(machine["Properties"]["DefinitionString"])))


def _function_statements(template: Template) -> dict[str, dict[str, Any]]:
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    out = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"][0]["Ref"] != role:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            out[statement.get("Sid", f"unnamed-{len(out)}")] = {**statement, "Action": sorted(actions), "Resource": sorted(flatten_cfn_reference(r) for r in resources)}
    return out


def test_flow_measures_then_publishes_the_report_only_on_alert_and_notifies_failures(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["StartAt"] == "Measure"
    assert states["Measure"]["Parameters"] == {"request.$": "$"}
    assert states["Measure"]["ResultPath"] == "$.result" and states["Measure"]["Next"] == "Alert"
    assert any(r["ErrorEquals"] == ["States.ALL"] for r in states["Measure"]["Retry"])
    [when] = states["Alert"]["Choices"]
    assert when == {"Variable": "$.result.alert", "BooleanEquals": True, "Next": "PublishReport"}
    assert states["Alert"]["Default"] == "Done" and states["PublishReport"]["Next"] == "Done"
    assert states["PublishReport"]["Parameters"]["Subject.$"] == "$.result.subject"
    assert states["PublishReport"]["Parameters"]["Message.$"] == "$.result.message"
    for name in ("Measure", "PublishReport"):
        [catch] = states[name]["Catch"]
        assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}, name
    assert states["NotifyFailure"]["Next"] == "QualityRunFailed" and states["QualityRunFailed"]["Type"] == "Fail"


def test_schedule_starts_the_machine_with_the_event_time(synthesized: Any, quality: Template) -> None:
    (rule,) = quality.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == synthesized.settings.quality.schedule
    [target] = rule["Properties"]["Targets"]
    assert target["InputTransformer"] == {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"time":<time>}'}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2}


def test_state_machine_logs_everything_traces_and_is_named_from_settings(quality: Template) -> None:
    quality.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineName": "lightship-quality",
        "TracingConfiguration": {"Enabled": True},
        "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
    })
    quality.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": "/aws/vendedlogs/states/lightship-quality"})
    quality.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": "/aws/lambda/lightship-quality-measure"})


def test_function_runs_the_quality_handler_from_the_batch_image_with_the_quality_settings(synthesized: Any, quality: Template) -> None:
    s: Settings = synthesized.settings
    (function,) = quality.find_resources("AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["FunctionName"] == "lightship-quality-measure"
    assert props["ImageConfig"]["Command"] == ["lambdas.quality.handler.handler"]
    assert props["TracingConfig"] == {"Mode": "Active"} and props["MemorySize"] == s.quality.memory_mb
    env = props["Environment"]["Variables"]
    # cdk.json keeps the quality defaults: no choice to pass (choices: test_function_settings.py)
    assert not [k for k in env if k.startswith("LIGHTSHIP_QUALITY__")]
    assert env["LIGHTSHIP_DEPLOYMENT_TABLE"] == "lightship-deployments"


def test_function_reads_predictions_and_labels_writes_only_reports_and_puts_only_lightship_metrics(synthesized: Any, quality: Template) -> None:
    s: Settings = synthesized.settings
    by_sid = _function_statements(quality)
    reads = by_sid["ReadPredictionsAndLabels"]
    assert reads["Action"] == ["s3:GetObject"]
    assert sorted(r.rsplit("/", 2)[-2] if r.count("/") > 1 else r for r in reads["Resource"]) == sorted(
        p.split("/")[-1] for p in (s.capture_prefix, s.batch_output_prefix, s.quality.labels_prefix, s.quality.report_prefix))
    assert all("-data-" in r for r in reads["Resource"])
    [report] = by_sid["WriteReport"]["Resource"]
    assert by_sid["WriteReport"]["Action"] == ["s3:PutObject"] and report.endswith("/quality/reports/*") and "-data-" in report
    assert by_sid["PutQualityMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Lightship"}}
    assert by_sid["ReadDeploymentRecord"]["Action"] == ["dynamodb:GetItem", "dynamodb:Query"]
    assert by_sid["DescribeVersions"]["Resource"] == [
        "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/lightship-models/*"]
    everything = {a for st in by_sid.values() for a in st["Action"]}
    assert not any(a.endswith("*") for a in everything)
    assert not any(a.startswith(("s3:Delete", "dynamodb:Put", "dynamodb:Update", "dynamodb:Delete", "sagemaker:Update", "sns:"))
                   for a in everything)
    writes = [r for st in by_sid.values() if any(a.startswith("s3:Put") for a in st["Action"]) for r in st["Resource"]]
    assert writes == [report]
