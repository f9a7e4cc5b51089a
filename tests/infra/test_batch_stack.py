"""The batch and alerts stacks: the state machine's flow, logging, tracing, retries and catch;
the functions and their least-privilege roles; the schedule; the alerts topic; and the batch
template the emulator runs being the one the whole app synthesizes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.app_builder import batch_props, cdk_json_context, enable_nag, stack_names
from infra.nag import flatten_cfn_reference
from infra.stacks.batch import STEPS, BatchStack
from lightship.settings import Settings

DATA = "arn:<AWS::Partition>:s3:::lightship-data-<AWS::AccountId>-<AWS::Region>"
ARTIFACTS = "arn:<AWS::Partition>:s3:::lightship-artifacts-<AWS::AccountId>-<AWS::Region>"


@pytest.fixture(scope="module")
def batch(synthesized: Any) -> Template:
    return synthesized.templates["batch"]


@pytest.fixture(scope="module")
def alerts(synthesized: Any) -> Template:
    return synthesized.templates["alerts"]


@pytest.fixture(scope="module")
def definition(batch: Template) -> dict[str, Any]:
    (machine,) = batch.find_resources("AWS::StepFunctions::StateMachine").values()
    text = _render(machine["Properties"]["DefinitionString"])
    return dict(json.loads(text))


def _render(node: Any) -> Any:
    """A DefinitionString as text, references spelled <AWS::Region> / <Logical.Arn> (JSON-safe, unlike
    cdk-nag's flattening, which also rewrites the definition's own braces)."""
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, parts = node["Fn::Join"]
            return delimiter.join(str(_render(p)) for p in parts)
        if "Ref" in node:
            return f"<{node['Ref']}>"
        if "Fn::GetAtt" in node:
            return f"<{node['Fn::GetAtt'][0]}.{node['Fn::GetAtt'][1]}>"
    return node


def _standalone(outdir: Path, settings: Settings) -> Template:
    context = cdk_json_context()
    context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(context=context, outdir=str(outdir))
    enable_nag(app)
    stack = BatchStack(app, f"{settings.project}-batch", props=batch_props(settings, stack_names(settings)))
    app.synth()
    return Template.from_stack(stack)


def _policies_by_function(template: Template) -> dict[str, list[dict[str, Any]]]:
    """Each batch function's role statements (resources flattened), keyed by step name."""
    functions = template.find_resources("AWS::Lambda::Function")
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0]: f["Properties"]["FunctionName"] for f in functions.values()}
    out: dict[str, list[dict[str, Any]]] = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        role = policy["Properties"]["Roles"][0]["Ref"]
        if role not in roles:
            continue
        step = roles[role].removeprefix("lightship-batch-").replace("-", "_")
        statements = []
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            statements.append({**statement, "Action": sorted(actions), "Resource": sorted(flatten_cfn_reference(r) for r in resources)})
        out[step] = statements
    return out


def test_state_machine_logs_everything_traces_and_is_named_from_settings(batch: Template) -> None:
    batch.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "lightship-batch-scoring",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
        },
    )
    batch.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": "/aws/vendedlogs/states/lightship-batch-scoring",
                                                          "RetentionInDays": 365})


def test_flow_resolves_plans_maps_merges_and_notifies_in_that_order(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["StartAt"] == "ResolveLiveModel"
    assert states["ResolveLiveModel"]["Next"] == "PlanChunks"
    assert states["ResolveLiveModel"]["Parameters"] == {"request.$": "$", "run_id.$": "$$.Execution.Name"}
    assert states["PlanChunks"]["Next"] == "ChooseMapMode"
    choice = states["ChooseMapMode"]
    assert choice["Choices"] == [{"Variable": "$.plan.mode", "StringEquals": "distributed", "Next": "ScoreChunksDistributed"}]
    assert choice["Default"] == "ScoreChunks"
    assert states["ScoreChunks"]["Next"] == states["ScoreChunksDistributed"]["Next"] == "MergeDriftReport"
    assert states["MergeDriftReport"]["Next"] == "DriftOverThreshold"
    alert = states["DriftOverThreshold"]
    assert alert["Choices"][0]["Variable"] == "$.result.alert" and alert["Choices"][0]["Next"] == "PublishAlert"
    assert states["PublishAlert"]["Resource"] == "arn:<AWS::Partition>:states:::sns:publish"
    assert states["PublishAlert"]["Parameters"]["TopicArn"] == "arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:lightship-alerts"


def test_inline_map_runs_chunks_with_the_configured_concurrency(definition: dict[str, Any]) -> None:
    inline = definition["States"]["ScoreChunks"]
    assert inline["ItemsPath"] == "$.plan.chunks"
    assert inline["MaxConcurrency"] == 4
    assert inline["ItemSelector"] == {"run.$": "$.run", "chunk.$": "$$.Map.Item.Value"}
    assert inline["ResultPath"] is None  # results stay in S3; the state stays small


def test_distributed_map_reads_the_plan_from_s3(definition: dict[str, Any]) -> None:
    distributed = definition["States"]["ScoreChunksDistributed"]
    assert distributed["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    reader = distributed["ItemReader"]
    assert reader["Resource"] == "arn:<AWS::Partition>:states:::s3:getObject"
    assert reader["ReaderConfig"] == {"InputType": "JSON"}
    assert reader["Parameters"] == {"Bucket": "lightship-data-<AWS::AccountId>-<AWS::Region>", "Key.$": "$.plan.plan_key"}
    assert distributed["MaxConcurrency"] == 4


def test_chunks_retry_with_backoff_and_every_failure_notifies_then_fails_the_run(definition: dict[str, Any]) -> None:
    states = definition["States"]
    for map_state in ("ScoreChunks", "ScoreChunksDistributed"):
        (task,) = states[map_state]["ItemProcessor"]["States"].values()
        retries = task["Retry"]
        assert retries[0]["ErrorEquals"][:2] == ["Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException"]
        assert retries[-1] == {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2,
                               "JitterStrategy": "FULL"}
    for name in ("ResolveLiveModel", "PlanChunks", "ScoreChunks", "ScoreChunksDistributed", "MergeDriftReport", "PublishAlert"):
        assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}], name
    assert states["NotifyFailure"]["Next"] == "BatchRunFailed"
    assert states["BatchRunFailed"] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}


def test_four_image_functions_one_per_step_traced_with_their_own_log_groups(batch: Template) -> None:
    functions = batch.find_resources("AWS::Lambda::Function")
    by_name = {f["Properties"]["FunctionName"]: f["Properties"] for f in functions.values()}
    assert set(by_name) == {f"lightship-batch-{s.replace('_', '-')}" for s in STEPS}
    for step, handler in STEPS.items():
        props = by_name[f"lightship-batch-{step.replace('_', '-')}"]
        assert props["PackageType"] == "Image"
        assert props["ImageConfig"] == {"Command": [handler]}
        assert props["TracingConfig"] == {"Mode": "Active"}
        env = props["Environment"]["Variables"]
        # cdk.json keeps the defaults: no choice to pass, the step's own defaults apply (test_function_settings.py)
        assert not [k for k in env if "__" in k]
        assert flatten_cfn_reference(env["LIGHTSHIP_DATA_BUCKET"]) == "lightship-data-<AWS::AccountId>-<AWS::Region>"
    for name in by_name:
        batch.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": 365})


def test_each_step_may_touch_only_its_own_prefixes(batch: Template) -> None:
    policies = _policies_by_function(batch)
    assert set(policies) == set(STEPS)
    allowed: dict[str, set[tuple[str, str]]] = {
        "resolve": {("dynamodb:GetItem", "arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/lightship-deployments")},
        "plan": {("s3:GetObject", f"{ARTIFACTS}/models/*"), ("s3:ListBucket", DATA), ("s3:GetObject", f"{DATA}/batch/input/*"),
                 ("s3:GetObjectVersion", f"{DATA}/batch/input/*"), ("s3:PutObject", f"{DATA}/batch/rejects/*"), ("s3:PutObject", f"{DATA}/batch/reports/*")},
        "score_chunk": {("s3:GetObject", f"{ARTIFACTS}/models/*"), ("s3:GetObject", f"{DATA}/batch/input/*"),
                        ("s3:GetObjectVersion", f"{DATA}/batch/input/*"),
                        *((a, f"{DATA}/batch/{p}/*") for a in ("s3:PutObject", "s3:AbortMultipartUpload")
                          for p in ("output", "rejects", "reports"))},
        "finalize": {("s3:GetObject", f"{ARTIFACTS}/models/*"), ("s3:ListBucket", DATA), ("s3:GetObject", f"{DATA}/batch/reports/*"),
                     ("s3:GetObject", f"{DATA}/batch/input/*"), ("s3:GetObject", f"{DATA}/batch/output/*"),
                     *((a, f"{DATA}/batch/{p}/*") for a in ("s3:PutObject", "s3:DeleteObject") for p in ("output", "rejects", "reports"))},
    }
    for step, statements in policies.items():
        granted = set()
        for statement in statements:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement
            if statement["Action"][0].startswith(("xray:", "logs:")):
                continue
            granted |= {(a, r) for a in statement["Action"] for r in statement["Resource"]}
        assert granted == allowed[step], step
    # Listing is limited to the prefixes by condition.
    (listing,) = [s for s in policies["plan"] if s["Action"] == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["batch/input/*"]}}


def test_functions_write_logs_only_to_their_own_group(batch: Template) -> None:
    for step, statements in _policies_by_function(batch).items():
        (logs,) = [s for s in statements if s["Action"][0].startswith("logs:")]
        assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        (resource,) = logs["Resource"]
        assert resource.startswith("<") and resource.endswith(".Arn>"), step


def test_schedule_starts_the_machine_with_the_fire_time(batch: Template) -> None:
    (rule,) = batch.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    (target,) = rule["Properties"]["Targets"]
    assert target["InputTransformer"] == {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"time":<time>}'}
    assert target["Arn"]["Ref"].startswith("StateMachine")


def test_alerts_topic_is_named_from_settings_encrypted_with_a_rotated_key_and_tls_only(alerts: Template) -> None:
    alerts.has_resource_properties("AWS::SNS::Topic", {"TopicName": "lightship-alerts",
                                                       "KmsMasterKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}})
    alerts.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    (policy,) = alerts.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)


def test_settings_flow_into_schedule_concurrency_and_thresholds(tmp_path: Path) -> None:
    settings = Settings.model_validate({
        "project": "acme",
        "batch": {"schedule": "rate(6 hours)", "map_concurrency": 9, "chunk_rows": 5000, "feature_thresholds": {"age": {"psi": 0.5}}},
    })
    template = _standalone(tmp_path, settings)
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    states = json.loads(_render(machine["Properties"]["DefinitionString"]))["States"]
    assert states["ScoreChunks"]["MaxConcurrency"] == states["ScoreChunksDistributed"]["MaxConcurrency"] == 9
    assert machine["Properties"]["StateMachineName"] == "acme-batch-scoring"
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(6 hours)"
    env = next(iter(template.find_resources("AWS::Lambda::Function").values()))["Properties"]["Environment"]["Variables"]
    assert env["LIGHTSHIP_BATCH__CHUNK_ROWS"] == "5000"
    assert json.loads(env["LIGHTSHIP_BATCH__FEATURE_THRESHOLDS"]) == {"age": {"psi": 0.5}}
    assert env["LIGHTSHIP_PROJECT"] == "acme"
