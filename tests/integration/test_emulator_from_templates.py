"""The emulator's resources are the synthesized templates': every one it can hold, with their properties.

Expected values are read from ``cdk synth``'s templates (the ones ``app.py`` emits), and the
actual ones from the emulator's APIs, as a user's tooling would read them.
"""

from __future__ import annotations

from typing import Any

import pytest

from lightship.clients import client
from lightship.local.emulator import LocalEmulator
from lightship.local.from_templates import stack_refs
from lightship.local.stack_templates import StackRefs, resources_of
from lightship.settings import Settings


@pytest.fixture(scope="module")
def stacks(emulator_session: LocalEmulator, settings: Settings) -> dict[str, StackRefs]:
    emulator_session.reset()  # once: the tests below only read what provisioning made
    assert emulator_session.resources is not None
    return stack_refs(settings, emulator_session.resources)


def _each(stacks: dict[str, StackRefs], cfn_type: str) -> list[tuple[StackRefs, str, dict[str, Any]]]:
    found = [(s, lid, r.get("Properties", {})) for s in stacks.values() for lid, r in resources_of(s.template, cfn_type).items()]
    assert found, f"the templates define no {cfn_type}"
    return found


def test_every_function_has_the_templates_package_memory_timeout_and_environment(stacks: dict[str, StackRefs]) -> None:
    lam = client("lambda")
    names = set()
    for stack, logical_id, props in _each(stacks, "AWS::Lambda::Function"):
        config = lam.get_function_configuration(FunctionName=props["FunctionName"])
        names.add(config["FunctionName"])
        assert config["MemorySize"] == props["MemorySize"] and config["Timeout"] == props["Timeout"], props["FunctionName"]
        assert config.get("PackageType", "Zip") == props.get("PackageType", "Zip")
        if props.get("PackageType") != "Image":
            assert (config["Runtime"], config["Handler"]) == (props["Runtime"], props["Handler"])
        assert config["Role"] == stack.resolve(props["Role"])
        literal = {k: v for k, v in props["Environment"]["Variables"].items() if isinstance(v, str)}
        assert literal.items() <= config["Environment"]["Variables"].items()
    # The list: the serving function exists, the rollback function is the stack's.
    assert {"lightship-serving", "lightship-rollback", "lightship-batch-resolve"} <= names
    rollback = lam.get_function_configuration(FunctionName="lightship-rollback")
    assert (rollback["MemorySize"], rollback["Runtime"]) == (256, "python3.14")


def test_the_deployment_table_has_point_in_time_recovery_and_the_templates_keys(stacks: dict[str, StackRefs]) -> None:
    dynamodb = client("dynamodb")
    for stack, logical_id, props in _each(stacks, "AWS::DynamoDB::Table"):
        table = dynamodb.describe_table(TableName=props["TableName"])["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
        assert table["SSEDescription"]["Status"] == "ENABLED"
        backups = dynamodb.describe_continuous_backups(TableName=props["TableName"])["ContinuousBackupsDescription"]
        expected = "ENABLED" if props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] else "DISABLED"
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == expected == "ENABLED"


def test_every_bucket_has_the_templates_versioning_encryption_access_block_and_logging(stacks: dict[str, StackRefs]) -> None:
    s3 = client("s3")
    for stack, logical_id, props in _each(stacks, "AWS::S3::Bucket"):
        name = stack.ref(logical_id)
        assert s3.get_bucket_versioning(Bucket=name).get("Status") == props["VersioningConfiguration"]["Status"]
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == \
            props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == props["PublicAccessBlockConfiguration"]
        logging_ = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
        if "LoggingConfiguration" in props:
            assert logging_["TargetBucket"] == stack.resolve(props["LoggingConfiguration"]["DestinationBucketName"])
            assert logging_["TargetPrefix"] == props["LoggingConfiguration"]["LogFilePrefix"]
        else:
            assert logging_ is None


def test_every_log_group_exists_with_the_templates_retention(stacks: dict[str, StackRefs]) -> None:
    logs = client("logs")
    for stack, logical_id, props in _each(stacks, "AWS::Logs::LogGroup"):
        groups = logs.describe_log_groups(logGroupNamePrefix=props["LogGroupName"])["logGroups"]
        (group,) = [g for g in groups if g["logGroupName"] == props["LogGroupName"]]
        assert group["retentionInDays"] == props["RetentionInDays"]


def test_every_state_machine_logs_and_traces_as_the_template_says(stacks: dict[str, StackRefs]) -> None:
    sfn = client("stepfunctions")
    for stack, logical_id, props in _each(stacks, "AWS::StepFunctions::StateMachine"):
        described = sfn.describe_state_machine(stateMachineArn=stack.get_att(logical_id, "Arn"))
        assert described["name"] == props["StateMachineName"]
        assert described["roleArn"] == stack.resolve(props["RoleArn"])
        assert described["loggingConfiguration"]["level"] == props["LoggingConfiguration"]["Level"]
        assert described["loggingConfiguration"]["includeExecutionData"] is props["LoggingConfiguration"]["IncludeExecutionData"]
        assert described["tracingConfiguration"]["enabled"] is props["TracingConfiguration"]["Enabled"]


def test_topics_subscriptions_and_the_model_package_group_are_the_templates(stacks: dict[str, StackRefs]) -> None:
    sns = client("sns")
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    for stack, logical_id, props in _each(stacks, "AWS::SNS::Topic"):
        assert stack.ref(logical_id) in topics
    for stack, logical_id, props in _each(stacks, "AWS::SNS::Subscription"):
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=stack.resolve(props["TopicArn"]))["Subscriptions"]
        assert (props["Protocol"], stack.resolve(props["Endpoint"])) in {(s["Protocol"], s["Endpoint"]) for s in subscriptions}
    for stack, logical_id, props in _each(stacks, "AWS::SageMaker::ModelPackageGroup"):
        group = client("sagemaker").describe_model_package_group(ModelPackageGroupName=props["ModelPackageGroupName"])
        assert group["ModelPackageGroupDescription"] == props["ModelPackageGroupDescription"]


def test_every_alarm_is_the_templates_with_its_metric_threshold_and_actions(stacks: dict[str, StackRefs]) -> None:
    alarms = {a["AlarmName"]: a for a in client("cloudwatch").describe_alarms()["MetricAlarms"]}
    for stack, logical_id, props in _each(stacks, "AWS::CloudWatch::Alarm"):
        alarm = alarms[props["AlarmName"]]
        for key in ("ComparisonOperator", "Threshold", "EvaluationPeriods", "DatapointsToAlarm", "TreatMissingData",
                    "MetricName", "Namespace", "Period", "ExtendedStatistic", "Statistic"):
            if key in props:
                assert alarm[key] == props[key], (props["AlarmName"], key)
        assert alarm["AlarmActions"] == stack.resolve(props["AlarmActions"])
        assert alarm["OKActions"] == stack.resolve(props["OKActions"])
        if "Metrics" in props:
            assert [q["Id"] for q in alarm["Metrics"]] == [q["Id"] for q in props["Metrics"]]
            expressions = [q.get("Expression") for q in props["Metrics"] if "Expression" in q]
            assert expressions == [q["Expression"] for q in alarm["Metrics"] if q.get("Expression")]
