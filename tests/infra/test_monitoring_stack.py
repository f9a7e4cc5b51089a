"""The monitoring stack: alarms from cdk.json's settings, their routes (rollback vs alerts only),
the rollback function and its least privilege, the dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.nag import flatten_cfn_reference
from lightship import observability as names
from lightship.resources import names_for
from tests.support.alarm_table import ALARM_TABLE, rolls_back, watched

ROLLBACK_TOPIC = "RollbackTopic"


@pytest.fixture(scope="module")
def monitoring(synthesized: Any) -> Template:
    return synthesized.templates["monitoring"]


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["AlarmName"]: r["Properties"] for r in template.find_resources("AWS::CloudWatch::Alarm").values()}


def _topic_ids(actions: list[Any]) -> set[str]:
    """Each action as 'rollback' (a Ref to this stack's topic) or the flattened ARN of another topic."""
    out = set()
    for action in actions:
        if isinstance(action, dict) and "Ref" in action:
            out.add("rollback" if action["Ref"].startswith(ROLLBACK_TOPIC) else action["Ref"])
        else:
            out.add(flatten_cfn_reference(action))
    return out


ALERTS = "arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:lightship-alerts"

def _setting(settings: Any, path: str) -> Any:
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


def test_every_alarm_is_defined_with_thresholds_and_windows_from_the_settings(synthesized: Any, monitoring: Template) -> None:
    a = synthesized.settings.alarms
    alarms = _alarms(monitoring)
    assert set(alarms) == set(ALARM_TABLE)
    for name, (series, threshold, comparison, _) in ALARM_TABLE.items():
        alarm = alarms[name]
        assert watched(alarm) == series, name
        assert alarm["Threshold"] == (threshold if isinstance(threshold, float) else _setting(synthesized.settings, threshold)), name
        assert alarm["ComparisonOperator"] == comparison, name
        assert alarm["TreatMissingData"] == "notBreaching", name
    error_rate = alarms["lightship-serving-error-rate"]
    assert error_rate["Threshold"] == a.error_rate_threshold
    assert (error_rate["EvaluationPeriods"], error_rate["DatapointsToAlarm"]) == (a.evaluation_periods, a.datapoints_to_alarm)
    assert error_rate["TreatMissingData"] == "notBreaching"
    assert alarms["lightship-serving-p99-latency"]["Threshold"] == a.p99_latency_ms
    assert alarms["lightship-serving-p99-latency"]["ExtendedStatistic"] == "p99"
    assert alarms["lightship-serving-p99-latency"]["Period"] == a.period_seconds
    assert alarms["lightship-serving-model-failures"]["Threshold"] == a.model_failure_threshold


@pytest.mark.parametrize(("alarm", "role"), [("lightship-serving-error-rate", names.ROLE_LIVE),
                                             ("lightship-candidate-error-rate", names.ROLE_CANDIDATE)])
def test_error_rate_is_metric_math_of_5xx_over_requests_on_the_role_wide_series(monitoring: Template, alarm: str, role: str) -> None:
    queries = {q["Id"]: q for q in _alarms(monitoring)[alarm]["Metrics"]}
    expression = next(q for q in queries.values() if "Expression" in q)
    assert expression["Expression"] == "IF(requests > 0, errors / requests, 0)" and expression["ReturnData"] is True
    for id_, metric in (("errors", names.ERRORS_5XX), ("requests", names.REQUESTS)):
        stat = queries[id_]["MetricStat"]
        assert stat["Metric"]["MetricName"] == metric and stat["Metric"]["Namespace"] == names.NAMESPACE
        assert sorted(stat["Metric"]["Dimensions"], key=lambda d: d["Name"]) == [
            {"Name": names.DIMENSION_ROLE, "Value": role}, {"Name": "service", "Value": names.SERVICE_SERVING}]
        assert stat["Stat"] == "Sum" and queries[id_]["ReturnData"] is False


def test_candidate_alarms_stand_beside_the_live_ones_and_notify_the_rollback_topic(synthesized: Any, monitoring: Template) -> None:
    alarms = _alarms(monitoring)
    candidate = {"lightship-candidate-error-rate", "lightship-candidate-p99-latency", "lightship-candidate-model-failures",
                 "lightship-shadow-disagreement"}
    assert candidate <= set(alarms)
    for name in candidate:
        assert "rollback" in _topic_ids(alarms[name]["AlarmActions"]), name
    shadow = alarms["lightship-shadow-disagreement"]
    assert (shadow["MetricName"], shadow["Statistic"]) == (names.SHADOW_DISAGREEMENT, "Average")
    assert shadow["Threshold"] == synthesized.settings.release.shadow_disagreement_threshold
    assert {"Name": names.DIMENSION_ROLE, "Value": names.ROLE_CANDIDATE} in shadow["Dimensions"]


def test_function_errors_alarm_watches_the_serving_function_by_name(synthesized: Any, monitoring: Template) -> None:
    alarm = _alarms(monitoring)["lightship-serving-function-errors"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": names_for(synthesized.settings).serving_function}]


def test_model_failure_alarm_adds_prediction_and_load_failures(monitoring: Template) -> None:
    queries = _alarms(monitoring)["lightship-serving-model-failures"]["Metrics"]
    metrics = {q["MetricStat"]["Metric"]["MetricName"] for q in queries if "MetricStat" in q}
    assert metrics == {names.PREDICTION_FAILURES, names.MODEL_LOAD_FAILURES}


def test_broken_version_alarms_route_to_rollback_and_alerts_the_rest_to_alerts_only(synthesized: Any, monitoring: Template) -> None:
    alarms = _alarms(monitoring)
    for name, (_, _, _, routed) in ALARM_TABLE.items():
        actions = _topic_ids(alarms[name]["AlarmActions"])
        expected = {"rollback", ALERTS} if rolls_back(synthesized.settings, routed) else {ALERTS}
        assert actions == expected, name
        assert _topic_ids(alarms[name]["OKActions"]) == {ALERTS}, name
    for name in ("lightship-batch-drift", "lightship-serving-throttles", "lightship-rollback-impossible"):
        assert "rollback" not in _topic_ids(alarms[name]["AlarmActions"]), name


def test_rollback_topic_is_encrypted_tls_only_and_delivers_to_the_rollback_function(synthesized: Any, monitoring: Template) -> None:
    monitoring.has_resource_properties(
        "AWS::SNS::Topic", {"TopicName": names_for(synthesized.settings).rollback_topic, "KmsMasterKeyId": Match.any_value()}
    )
    monitoring.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "lambda", "Endpoint": {"Fn::GetAtt": [Match.string_like_regexp("RollbackFunction"), "Arn"]}})
    monitoring.has_resource_properties("AWS::Lambda::Permission", {"Principal": "sns.amazonaws.com", "Action": "lambda:InvokeFunction"})
    policy = next(iter(monitoring.find_resources("AWS::SNS::TopicPolicy").values()))["Properties"]["PolicyDocument"]
    tls_only = [s for s in policy["Statement"] if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert tls_only, policy["Statement"]
    publishers = [s for s in policy["Statement"] if s["Effect"] == "Allow" and s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"]
    assert publishers and publishers[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    key = next(iter(monitoring.find_resources("AWS::KMS::Key").values()))["Properties"]
    assert key["EnableKeyRotation"] is True
    assert any(s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com" for s in key["KeyPolicy"]["Statement"])


def test_rollback_function_runs_the_handler_with_the_record_registry_and_alerts_names(synthesized: Any, monitoring: Template) -> None:
    s = synthesized.settings
    [function] = monitoring.find_resources("AWS::Lambda::Function").values()
    props = function["Properties"]
    assert props["FunctionName"] == names_for(s).rollback_function and props["Handler"] == "lambdas.rollback.handler.handler"
    assert props["Runtime"].startswith("python3.")
    env = props["Environment"]["Variables"]
    assert env["LIGHTSHIP_DEPLOYMENT_TABLE"] == names_for(s).deployment_table
    assert env["LIGHTSHIP_MODEL_PACKAGE_GROUP"] == s.model_package_group
    # The handler derives the alerts topic from the project in its own region and account (lightship.resources,
    # tests/unit/test_resources.py): one source, so no topic ARN travels beside it.
    assert env["LIGHTSHIP_PROJECT"] == "lightship" and "ALERTS_TOPIC_ARN" not in env


def test_rollback_role_may_do_exactly_its_job(monitoring: Template) -> None:
    [policy] = monitoring.find_resources("AWS::IAM::Policy").values()
    grants = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        grants[statement["Sid"]] = (sorted(actions), sorted(flatten_cfn_reference(r) for r in resources))
    assert grants["ReadAndRewriteRecord"] == (
        ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        ["arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/lightship-deployments"],
    )
    assert grants["ReadAndRejectVersions"][1] == ["arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/lightship-models/*"]
    assert grants["NotifyAlerts"] == (["sns:Publish"], [ALERTS])
    assert grants["ReadEvaluationReports"][1] == ["arn:<AWS::Partition>:s3:::lightship-artifacts-<AWS::AccountId>-<AWS::Region>/evaluations/*"]
    every_action = {a for actions, _ in grants.values() for a in actions}
    assert not any(a.endswith(":*") or a == "*" for a in every_action)
    assert "sagemaker:DeleteModelPackage" not in every_action and "dynamodb:DeleteItem" not in every_action


def test_dashboard_shows_requests_errors_latency_live_version_batch_rows_and_drift(monitoring: Template) -> None:
    [dashboard] = monitoring.find_resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    text = body if isinstance(body, str) else json.dumps(body)
    titles = [
        "Requests by model version (live version)",
        "Errors",
        "Latency (ms)",
        "Live model version",
        "Batch rows: in, scored, rejected",
        "Drift: PSI per feature",
        "Alarms",
    ]
    for title in titles:
        assert title in text, title
    for stat in ("p50", "p90", "p99"):
        assert f'\\"stat\\":\\"{stat}\\"' in text or f'"stat":"{stat}"' in text, stat
    for metric in (names.REQUESTS, names.ERRORS_5XX, names.LATENCY_MS, names.ROWS_SCORED, names.ROWS_REJECTED, names.FEATURE_PSI):
        assert metric in text, metric


def test_monitoring_template_passes_cfn_lint(synthesized: Any) -> None:
    import subprocess
    import sys

    template = Path(synthesized.outdir) / "lightship-monitoring.template.json"
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--ignore-checks", "W3005", "--", str(template)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
