"""The emulator's resources are the synthesized templates': every one it can hold, with their properties.

Expected values are read from ``cdk synth``'s templates (the ones ``app.py`` emits), and the
actual ones from the emulator's APIs, as a user's tooling would read them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from lightship.clients import client
from lightship.local.emulator import LocalEmulator
from lightship.local.from_templates import NOT_HELD, ORDER, provision_from_templates
from lightship.local.stack_templates import StackRefs, resources_of
from lightship.settings import Settings


@pytest.fixture(scope="module")
def stacks(emulator_session: LocalEmulator, settings: Settings) -> dict[str, StackRefs]:
    emulator_session.reset()  # once: the tests below only read what provisioning made
    assert emulator_session.resources is not None
    # Provisioned a second time: safe to run twice, and these refs know what only the emulator names (key ids, versions).
    return provision_from_templates(settings, emulator_session.resources)


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


def test_every_type_in_the_templates_is_held_or_left_out_with_a_reason(stacks: dict[str, StackRefs]) -> None:
    used = {r["Type"] for stack in stacks.values() for r in stack.template["Resources"].values()}
    held = {t.split("/")[0] for t in ORDER} | {"AWS::StepFunctions::StateMachine"}  # state machines: lightship.local.state_machines
    assert used - held == set(NOT_HELD), "a type is neither held nor left out with its reason in NOT_HELD"
    assert all(len(reason) > 20 for reason in NOT_HELD.values())


def test_every_role_has_the_templates_trust_policy_and_every_inline_policy_is_on_its_roles(stacks: dict[str, StackRefs]) -> None:
    iam = client("iam")
    for stack, logical_id, props in _each(stacks, "AWS::IAM::Role"):
        role = iam.get_role(RoleName=stack.role_name(logical_id))["Role"]
        assert role["AssumeRolePolicyDocument"] == stack.resolve(props["AssumeRolePolicyDocument"]), logical_id
        assert role.get("Description", "") == props.get("Description", "")
    policies = 0
    for stack, logical_id, props in _each(stacks, "AWS::IAM::Policy"):
        for role in stack.resolve(props["Roles"]):
            put = iam.get_role_policy(RoleName=role, PolicyName=props["PolicyName"])
            assert put["PolicyDocument"] == stack.resolve(props["PolicyDocument"]), (role, props["PolicyName"])
            policies += 1
    assert policies >= 10  # every function's role and every state machine's carries one


def test_keys_have_the_templates_policy_and_rotation_and_encrypt_the_topics_that_name_them(stacks: dict[str, StackRefs]) -> None:
    kms = client("kms")
    for stack, logical_id, props in _each(stacks, "AWS::KMS::Key"):
        key_id = stack.ref(logical_id)
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert metadata["Description"] == props["Description"] and metadata["Arn"] == stack.get_att(logical_id, "Arn")
        assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == stack.resolve(props["KeyPolicy"])
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is props["EnableKeyRotation"]
    sns = client("sns")
    for stack, logical_id, props in _each(stacks, "AWS::SNS::Topic"):
        attributes = sns.get_topic_attributes(TopicArn=stack.ref(logical_id))["Attributes"]
        assert attributes["KmsMasterKeyId"] == stack.resolve(props["KmsMasterKeyId"])
        assert attributes["DisplayName"] == props["DisplayName"]
    for stack, logical_id, props in _each(stacks, "AWS::SNS::TopicPolicy"):
        for topic in stack.resolve(props["Topics"]):
            assert json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]) == stack.resolve(props["PolicyDocument"])


def test_the_serving_alias_points_at_a_published_version_as_the_template_says(stacks: dict[str, StackRefs]) -> None:
    lam = client("lambda")
    for stack, logical_id, props in _each(stacks, "AWS::Lambda::Alias"):
        function = stack.resolve(props["FunctionName"])
        alias = lam.get_alias(FunctionName=function, Name=props["Name"])
        published = [v["Version"] for v in lam.list_versions_by_function(FunctionName=function)["Versions"] if v["Version"] != "$LATEST"]
        assert alias["FunctionVersion"] in published and alias["FunctionVersion"] == stack.resolve(props["FunctionVersion"])
        assert alias["Description"] == props["Description"]
    for stack, logical_id, props in _each(stacks, "AWS::Lambda::EventInvokeConfig"):
        config = lam.get_function_event_invoke_config(FunctionName=stack.resolve(props["FunctionName"]), Qualifier=props["Qualifier"])
        assert config["MaximumRetryAttempts"] == props["MaximumRetryAttempts"]


def test_the_dashboard_is_the_templates(stacks: dict[str, StackRefs]) -> None:
    for stack, logical_id, props in _each(stacks, "AWS::CloudWatch::Dashboard"):
        body = client("cloudwatch").get_dashboard(DashboardName=props["DashboardName"])["DashboardBody"]
        assert json.loads(body) == json.loads(stack.resolve(props["DashboardBody"]))


def test_every_rule_has_the_templates_schedule_state_and_targets(stacks: dict[str, StackRefs]) -> None:
    events = client("events")
    for stack, logical_id, props in _each(stacks, "AWS::Events::Rule"):
        name = stack.ref(logical_id)
        rule = events.describe_rule(Name=name)
        assert (rule.get("ScheduleExpression"), rule["State"], rule["Description"]) == \
            (props.get("ScheduleExpression"), props["State"], props["Description"])
        assert events.list_targets_by_rule(Rule=name)["Targets"] == stack.resolve(props["Targets"])


def test_put_events_still_delivers_beside_the_schedule_rules_and_their_step_functions_targets(emulator: LocalEmulator) -> None:
    """moto alone fails every PutEvents once a schedule rule has a Step Functions target; on AWS
    a schedule rule matches no event, and a pattern rule's SQS target receives it."""
    events, sqs = client("events"), client("sqs")
    assert any(r.get("ScheduleExpression") for r in events.list_rules()["Rules"])  # the stacks' schedules are held
    queue = sqs.create_queue(QueueName="tests-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="tests-alarm-changes", EventPattern=json.dumps({"source": ["aws.cloudwatch"]}))
    events.put_targets(Rule="tests-alarm-changes", Targets=[{"Id": "queue", "Arn": queue_arn}])
    sent = events.put_events(Entries=[{"Source": "aws.cloudwatch", "DetailType": "CloudWatch Alarm State Change",
                                       "Detail": json.dumps({"alarmName": "x"})}])
    assert sent["FailedEntryCount"] == 0
    deadline, messages = time.monotonic() + 10, []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert [json.loads(m["Body"])["detail"] for m in messages] == [{"alarmName": "x"}]
