"""The retraining stack: the state machine's flow (assemble, a non-.sync training job polled by a Wait/Describe/Choice
loop, register, gate, release, a failure path), the function's triggers, and its role reading exactly the prefixes
a run needs. The emulator provisions it from the whole app's template (tests/infra/test_emulator_templates.py)."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.app_builder import cdk_json_context, retraining_props, stack_names
from infra.stacks.retraining import RetrainingStack
from lightship.resources import names_for
from lightship.settings import CONTEXT_KEY, Settings
from tests.infra.test_cfn_lint import CFN_LINT
from tests.infra.test_nag_checks import _violations
from tests.infra.test_quality_stack import _function_statements, _render


@pytest.fixture(scope="module")
def retraining(synthesized: Any) -> Template:
    return synthesized.templates["retraining"]


@pytest.fixture(scope="module")
def definition(retraining: Template) -> dict[str, Any]:
    (machine,) = retraining.find_resources("AWS::StepFunctions::StateMachine").values()
    return dict(json.loads(_render(machine["Properties"]["DefinitionString"])))


def test_training_is_a_plain_create_call_polled_by_a_wait_loop_never_sync(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["StartAt"] == "Assemble"
    start = states["StartTraining"]
    assert start["Resource"].endswith(":states:::aws-sdk:sagemaker:createTrainingJob")
    assert not any(s.get("Resource", "").endswith(".sync") for s in states.values())
    assert start["Parameters"]["TrainingJobName.$"] == "$.assembled.job.TrainingJobName"
    assert start["Parameters"]["HyperParameters.$"] == "$.assembled.job.HyperParameters"
    assert start["Parameters"]["RoleArn"] == "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/lightship-sagemaker-execution"
    assert start["Next"] == "StartPolling"
    assert states["StartPolling"] == {"Type": "Pass", "Result": {"count": 0}, "ResultPath": "$.polls", "Next": "WaitForTraining"}
    assert states["WaitForTraining"] == {"Type": "Wait", "SecondsPath": "$.poll_seconds", "Next": "CountPoll"}
    assert states["CountPoll"] == {"Type": "Pass", "Parameters": {"count.$": "States.MathAdd($.polls.count, 1)"}, "ResultPath": "$.polls",
                                   "Next": "DescribeTraining"}
    describe = states["DescribeTraining"]
    assert describe["Resource"].endswith(":states:::aws-sdk:sagemaker:describeTrainingJob")
    assert describe["ResultSelector"] == {"status.$": "$.TrainingJobStatus"} and describe["Next"] == "TrainingStatus"
    choices = {json.dumps(c, sort_keys=True) for c in states["TrainingStatus"]["Choices"]}
    assert json.dumps({"Next": "Register", "StringEquals": "Completed", "Variable": "$.training.status"}, sort_keys=True) in choices
    assert any("WaitForTraining" in c and "InProgress" in c and "Stopping" in c for c in choices)
    assert states["TrainingStatus"]["Default"] == "TrainingFailed" and states["TrainingFailed"]["Next"] == "Fail"


def test_a_training_job_that_outlasts_its_budget_goes_to_the_failure_path_and_every_task_has_a_timeout(definition: dict[str, Any]) -> None:
    """The machine's own timeout ends a run with no alert and no outcome: it must never be what ends one."""
    states = definition["States"]
    choices = states["TrainingStatus"]["Choices"]
    running = {"Or": [{"Variable": "$.training.status", "StringEquals": "InProgress"},
                      {"Variable": "$.training.status", "StringEquals": "Stopping"}]}
    timed_out = {"And": [running, {"Variable": "$.polls.count", "NumericGreaterThanEqualsPath": "$.assembled.max_polls"}],
                 "Next": "TrainingTimedOut"}
    # Rules apply in order: the budget is checked before "still running: wait again".
    assert choices.index(timed_out) < choices.index({**running, "Next": "WaitForTraining"})
    assert states["TrainingTimedOut"]["Type"] == "Pass" and states["TrainingTimedOut"]["ResultPath"] == "$.error"
    assert states["TrainingTimedOut"]["Parameters"]["Error"] == "TrainingTimedOut"
    assert states["TrainingTimedOut"]["Next"] == "Fail" and states["Fail"]["Next"] == "RetrainingFailed"
    for name in ("Assemble", "Register", "Release", "Finish", "Fail"):
        assert states[name]["TimeoutSeconds"] == 16 * 60, name  # past the function's 15 minutes
    for name in ("StartTraining", "DescribeTraining"):
        assert states[name]["TimeoutSeconds"] == 60, name
    for name in ("Assemble", "StartTraining", "DescribeTraining", "Register", "Release", "Finish"):
        assert {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fail"} in states[name]["Catch"], name  # States.Timeout too
    # The backstop: the whole run's timeout leaves room for the training budget and the tasks around it.
    s = Settings().retraining
    assert definition["TimeoutSeconds"] == s.stale_run_hours * 3600 >= 2 * s.training_timeout_minutes * 60


def test_the_gate_decides_between_a_release_and_an_alert_and_every_failure_alerts(definition: dict[str, Any]) -> None:
    states = definition["States"]
    [enough] = states["Enough"]["Choices"]
    assert enough == {"Variable": "$.assembled.verdict", "StringEquals": "train", "Next": "StartTraining"} and states["Enough"]["Default"] == "Finish"
    [approved] = states["GateApproved"]["Choices"]
    assert approved == {"Variable": "$.registered.approved", "BooleanEquals": True, "Next": "Release"}
    assert states["GateApproved"]["Default"] == "Finish" and states["Release"]["Next"] == "Finish" and states["Finish"]["Next"] == "Done"
    for name in ("Assemble", "StartTraining", "DescribeTraining", "Register", "Release", "Finish"):
        assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fail"}], name
    for name, action in (("Assemble", "assemble"), ("Register", "register"), ("Release", "release"), ("Finish", "finish"), ("Fail", "fail")):
        assert states[name]["Parameters"] == {"action": action, "state.$": "$"}, name
    assert states["Fail"]["Next"] == "RetrainingFailed" and states["RetrainingFailed"]["Type"] == "Fail"
    # A run's own refusal is not retried: only transient errors are.
    assert {"ErrorEquals": ["RetrainingError"], "MaxAttempts": 0} in states["Assemble"]["Retry"]


def test_the_function_is_subscribed_to_the_alerts_topic_and_the_schedule_is_off_by_default(retraining: Template) -> None:
    (subscription,) = retraining.find_resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "lambda"
    assert _render(subscription["Properties"]["TopicArn"]) == "arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:lightship-alerts"
    assert retraining.find_resources("AWS::Events::Rule") == {}
    (function,) = retraining.find_resources("AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["FunctionName"] == "lightship-retraining-step" and props["ImageConfig"]["Command"] == ["lambdas.retraining.handler.handler"]
    assert "LIGHTSHIP_RETRAINING__ON_DRIFT" not in props["Environment"]["Variables"]  # the default (off) is the function's too


def test_a_schedule_setting_adds_a_rule_targeting_the_function_and_the_app_stays_clean(synth_app: Any, tmp_path: Path) -> None:
    """The default synth has no schedule rule: cdk-nag and cfn-lint would never see it without this synth."""
    lightship = copy.deepcopy(cdk_json_context()[CONTEXT_KEY])
    lightship["retraining"]["schedule"] = "cron(0 6 ? * MON *)"
    synthesized = synth_app(tmp_path, lightship=lightship)  # cdk-nag on: an unacknowledged finding raises ValidationFailed
    assert _violations(tmp_path) == []
    template = synthesized.templates["retraining"]
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 6 ? * MON *)" and rule["Properties"]["State"] == "ENABLED"
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("RetrainFunction") and target["RetryPolicy"] == {"MaximumRetryAttempts": 2}
    (permission,) = [p for p in template.find_resources("AWS::Lambda::Permission").values()
                     if p["Properties"]["Principal"] == "events.amazonaws.com"]
    assert permission["Properties"]["SourceArn"]["Fn::GetAtt"][0] == next(iter(template.find_resources("AWS::Events::Rule")))
    templates = sorted(tmp_path.glob("*.template.json"))
    assert f"{synthesized.stacks['retraining'].stack_name}.template.json" in {t.name for t in templates}
    result = subprocess.run([str(CFN_LINT), "--ignore-checks", "W3005", "--", *map(str, templates)],
                            check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "", f"cfn-lint findings:\n{result.stdout}{result.stderr}"


def test_the_gate_settings_reach_the_function_that_runs_the_gate(tmp_path: Path) -> None:
    context = cdk_json_context()
    context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(context=context, outdir=str(tmp_path))
    settings = Settings.model_validate({"gate": {"classification_metric": "f1_macro", "classification_min": 0.61, "regression_metric": "mae",
                                                 "regression_max": 12.5, "min_improvement": 0.002, "max_segment_gap": 0.2,
                                                 "min_segment_rows": 75}})
    template = Template.from_stack(RetrainingStack(app, "lightship-retraining", props=retraining_props(settings, stack_names(settings))))
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    env = function["Properties"]["Environment"]["Variables"]
    assert {k: v for k, v in env.items() if k.startswith("LIGHTSHIP_GATE__")} == {
        "LIGHTSHIP_GATE__CLASSIFICATION_METRIC": "f1_macro", "LIGHTSHIP_GATE__CLASSIFICATION_MIN": "0.61",
        "LIGHTSHIP_GATE__REGRESSION_METRIC": "mae", "LIGHTSHIP_GATE__REGRESSION_MAX": "12.5",  # regression_min: the default
        "LIGHTSHIP_GATE__MIN_IMPROVEMENT": "0.002", "LIGHTSHIP_GATE__MAX_SEGMENT_GAP": "0.2", "LIGHTSHIP_GATE__MIN_SEGMENT_ROWS": "75",
    }


def test_the_role_reads_exactly_the_prefixes_a_run_needs_and_writes_only_datasets_and_reports(synthesized: Any, retraining: Template) -> None:
    s: Settings = synthesized.settings
    by_sid = _function_statements(retraining)
    def prefixes(sid: str) -> list[str]:
        return sorted(r.split(":::", 1)[1].split("/", 1)[1] for r in by_sid[sid]["Resource"])
    assert by_sid["ReadInputs"]["Action"] == ["s3:GetObject"]
    assert prefixes("ReadInputs") == sorted(f"{p}/*" for p in (s.capture_prefix, s.batch_output_prefix, s.quality.labels_prefix, s.training_prefix))
    assert all("-data-" in r for r in by_sid["ReadInputs"]["Resource"])
    assert sorted(by_sid["ListInputs"]["Condition"]["StringLike"]["s3:prefix"]) == sorted(
        f"{p}/*" for p in (s.capture_prefix, s.batch_output_prefix, s.quality.labels_prefix, s.training_prefix))
    assert prefixes("ReadBundlesAndReports") == sorted(f"{p}/*" for p in (s.model_prefix, s.evaluation_prefix))
    assert all("-artifacts-" in r for r in by_sid["ReadBundlesAndReports"]["Resource"])
    writes = sorted(r for st in by_sid.values() if any(a.startswith("s3:Put") for a in st["Action"]) for r in st["Resource"])
    assert [w.split(":::", 1)[1].split("/", 1)[1] for w in writes] == sorted(
        [f"{s.training_prefix}/{s.retraining.datasets_prefix}/*", f"{s.evaluation_prefix}/*"])
    everything = {a for st in by_sid.values() for a in st["Action"]}
    assert not any(a.endswith("*") for a in everything)
    assert not any(a.startswith(("s3:Delete", "dynamodb:Delete", "sagemaker:Delete", "sagemaker:CreateTrainingJob", "iam:")) for a in everything)
    assert by_sid["StartRunsAndReleases"]["Resource"] == sorted(
        f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:{n}"
        for n in (names_for(s).retraining_state_machine, names_for(s).release_state_machine))
    # A retried Release looks its execution up: read-only, the release machine's executions only.
    assert by_sid["SeeReleaseExecutions"]["Action"] == ["states:DescribeExecution"] and by_sid["SeeReleaseExecutions"]["Resource"] == [
        f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{names_for(s).release_state_machine}:*"]


def test_only_the_state_machine_starts_training_jobs_and_passes_only_the_sagemaker_role(retraining: Template) -> None:
    (machine,) = retraining.find_resources("AWS::StepFunctions::StateMachine").values()
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = [st for p in retraining.find_resources("AWS::IAM::Policy").values() if p["Properties"]["Roles"][0]["Ref"] == role
                  for st in p["Properties"]["PolicyDocument"]["Statement"]]
    [pass_role] = [st for st in statements if st["Action"] == "iam:PassRole"]
    assert _render(pass_role["Resource"]) == "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/lightship-sagemaker-execution"
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    create = [st for st in statements if "sagemaker:CreateTrainingJob" in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
    assert create and all(_render(st["Resource"]).endswith(":training-job/lightship-*") for st in create)

