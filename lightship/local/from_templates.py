"""Create on the emulator every resource of the synthesized templates that it can hold, as the templates say.

One path with AWS: the names and settings come from ``cdk synth``'s templates
(:mod:`lightship.local.stack_templates`), never from a second description here. Held, by
type, with the properties the emulator honours:

* ``AWS::S3::Bucket``: name, versioning, default encryption, public access block, access
  logging; ``AWS::S3::BucketPolicy`` without its statements on ``aws:SecureTransport``
  (moto's server speaks plain HTTP on loopback and enforces that condition; tests/infra
  checks the stacks keep it).
* ``AWS::DynamoDB::Table``: keys, billing, encryption, point-in-time recovery, deletion protection.
* ``AWS::Logs::LogGroup``: name and retention.
* ``AWS::KMS::Key``: description, key policy, rotation (found again through an alias
  ``alias/<stack>-<logical id>``); moto encrypts nothing with it.
* ``AWS::IAM::Role``: name (CloudFormation names the unnamed ones; we name them
  ``<concern>-<logical id>``) and trust policy; ``AWS::IAM::Policy``: each inline policy put on
  its roles (moto evaluates none of them; tests/infra holds the statements to least privilege).
* ``AWS::Lambda::Function``: name, package type and image (or runtime and handler, with a
  placeholder zip), memory, timeout, architecture, description, environment, role, log group;
  each is routed to the handler its ``Handler`` or image ``CMD`` names
  (:mod:`lightship.local.lambda_router`), since moto runs no code without Docker.
  ``AWS::Lambda::Version`` (published), ``AWS::Lambda::Alias`` (name, description, version),
  ``AWS::Lambda::EventInvokeConfig`` (retries, event age).
* ``AWS::SNS::Topic`` (name, display name, KMS key), ``AWS::SNS::TopicPolicy`` and
  ``AWS::SNS::Subscription`` (Lambda protocol).
* ``AWS::SageMaker::ModelPackageGroup``: name and description.
* ``AWS::CloudWatch::Alarm``: every property (moto stores them; it evaluates no alarm, so
  :mod:`lightship.local.alarm_delivery` delivers the state changes a test or a user sets).
* ``AWS::CloudWatch::Dashboard``: name and body.
* ``AWS::Events::Rule``: name, description, schedule or pattern, state and targets. moto fires no
  schedule, and would match a schedule rule against every ``PutEvents`` and fail the call on its
  Step Functions target: :mod:`lightship.local.schedule_rules` keeps schedule rules out of
  ``PutEvents``, as on AWS.

State machines are created afterwards by :mod:`lightship.local.state_machines` (their
definitions need the routed functions). The types left out are in :data:`NOT_HELD`, each with
its reason. Safe to run twice. Called by :func:`lightship.local.provision.provision`.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from lightship.clients import client
from lightship.local import lambda_router
from lightship.local.stack_templates import StackRefs, resources_of, templates
from lightship.resources import Resources
from lightship.settings import Settings

# Every other type the templates use, and why the emulator does not hold it (tests check none is forgotten).
NOT_HELD = {
    "AWS::ApiGatewayV2::Api": "`lightship serve` stands in for API Gateway: moto's HTTP APIs route no request to our handlers",
    "AWS::ApiGatewayV2::Integration": "part of the API that `lightship serve` stands in for",
    "AWS::ApiGatewayV2::Route": "part of the API that `lightship serve` stands in for",
    "AWS::ApiGatewayV2::Stage": "part of the API that `lightship serve` stands in for",
    "AWS::Lambda::Permission": "the serving one names the API Gateway API the emulator does not hold, and the emulator's "
                               "SNS -> Lambda delivery (lightship.local.sns_lambda) checks no resource policy",
}
LOGGING = "AWS::S3::Bucket/logging"  # after the bucket policies: S3 checks the target bucket lets log delivery write
# Created in this order: what a later type refers to exists first.
ORDER = ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::S3::BucketPolicy", LOGGING, "AWS::DynamoDB::Table", "AWS::Logs::LogGroup",
         "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::SageMaker::ModelPackageGroup", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy",
         "AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::Lambda::EventInvokeConfig",
         "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Events::Rule")


def stack_refs(settings: Settings, resources: Resources) -> dict[str, StackRefs]:
    """Each concern's template with the emulator's account and region, ready to resolve."""
    out = {}
    for concern, template in templates(settings).items():
        out[concern] = StackRefs(resources.region, resources.account, template, stack_name=resources.stack(concern))
    return out


def provision_from_templates(settings: Settings, resources: Resources) -> dict[str, StackRefs]:
    refs = stack_refs(settings, resources)
    for cfn_type in ORDER:
        for stack in refs.values():
            for logical_id, resource in resources_of(stack.template, cfn_type.split("/")[0]).items():
                _CREATE[cfn_type](stack, logical_id, resource.get("Properties", {}))
    return refs


def _bucket(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    s3 = client("s3")
    name = stack.ref(logical_id)
    try:
        if stack.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": stack.region})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        return
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]})
    if "BucketEncryption" in props:
        rules = [{"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                  **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {})}
                 for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": stack.resolve(rules)})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])


def _bucket_logging(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    if "LoggingConfiguration" in props:
        logging_ = stack.resolve(props["LoggingConfiguration"])
        client("s3").put_bucket_logging(Bucket=stack.ref(logical_id), BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": logging_["DestinationBucketName"], "TargetPrefix": logging_.get("LogFilePrefix", "")}})


def _bucket_policy(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    document = stack.resolve(props["PolicyDocument"])
    kept = [s for s in document["Statement"] if "aws:SecureTransport" not in json.dumps(s.get("Condition", {}))]
    if kept:
        client("s3").put_bucket_policy(Bucket=stack.resolve(props["Bucket"]), Policy=json.dumps({**document, "Statement": kept}))


def _table(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    dynamodb = client("dynamodb")
    name = stack.ref(logical_id)
    try:
        dynamodb.describe_table(TableName=name)
        return
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    request: dict[str, Any] = {"TableName": name, "KeySchema": props["KeySchema"], "AttributeDefinitions": props["AttributeDefinitions"],
                               "BillingMode": props.get("BillingMode", "PROVISIONED")}
    if "ProvisionedThroughput" in props:
        request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    if "SSESpecification" in props:
        sse = props["SSESpecification"]
        request["SSESpecification"] = {"Enabled": sse.get("SSEEnabled", False),
                                       **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {})}
    if "DeletionProtectionEnabled" in props:
        request["DeletionProtectionEnabled"] = props["DeletionProtectionEnabled"]
    dynamodb.create_table(**request)
    pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
    if pitr is not None:
        dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": pitr})
    if "TimeToLiveSpecification" in props:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])


def _log_group(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    logs = client("logs")
    name = stack.ref(logical_id)
    try:
        logs.create_log_group(logGroupName=name)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))


def _role(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    iam = client("iam")
    name = stack.role_name(logical_id)
    try:  # one call, not a look-up first: start-up time matters (every integration test module starts an emulator)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(stack.resolve(props["AssumeRolePolicyDocument"])),
                        Description=str(props.get("Description", ""))[:1000])
    except iam.exceptions.EntityAlreadyExistsException:
        pass


def _key(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    kms = client("kms")
    alias = f"alias/{stack.stack_name}-{logical_id}"
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        metadata = kms.create_key(Description=str(props.get("Description", "")), Policy=json.dumps(stack.resolve(props["KeyPolicy"])),
                                  KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"), KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"))["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
    stack.created[logical_id] = {"Ref": metadata["KeyId"], "Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


def _policy(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    document = json.dumps(stack.resolve(props["PolicyDocument"]))
    for role in stack.resolve(props.get("Roles", [])):
        client("iam").put_role_policy(RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=document)


def _model_package_group(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    sagemaker = client("sagemaker")
    name = stack.resolve(props["ModelPackageGroupName"])
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=name)
    except Exception:  # noqa: BLE001 - moto and AWS differ in the "not found" error type
        sagemaker.create_model_package_group(ModelPackageGroupName=name,
                                             ModelPackageGroupDescription=props.get("ModelPackageGroupDescription", ""))


def _topic(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    attributes = {name: str(stack.resolve(props[name])) for name in ("DisplayName", "KmsMasterKeyId") if name in props}
    client("sns").create_topic(Name=stack.get_att(logical_id, "TopicName"), Attributes=attributes)


def _topic_policy(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    """Put as the template says: moto's SNS enforces no topic policy (its aws:SecureTransport statements included)."""
    document = json.dumps(stack.resolve(props["PolicyDocument"]))
    for topic in stack.resolve(props["Topics"]):
        client("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=document)


def _function(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    lam = client("lambda")
    name = stack.ref(logical_id)
    image = props.get("PackageType") == "Image"
    handler = props["ImageConfig"]["Command"][0] if image else props["Handler"]
    module, _, attribute = handler.rpartition(".")
    lambda_router.register(name, f"{module}:{attribute}")
    request: dict[str, Any] = {
        "FunctionName": name,
        "Role": stack.resolve(props["Role"]),
        "MemorySize": int(props.get("MemorySize", 128)),
        "Timeout": int(props.get("Timeout", 3)),
        "Description": str(props.get("Description", "")),
        "Architectures": props.get("Architectures", ["x86_64"]),
        "Environment": {"Variables": {k: str(v) for k, v in stack.resolve(props.get("Environment", {}).get("Variables", {})).items()}},
    }
    if image:
        request.update(PackageType="Image", Code={"ImageUri": stack.resolve(props["Code"]["ImageUri"])},
                       ImageConfig={"Command": props["ImageConfig"]["Command"]})
    else:
        request.update(PackageType="Zip", Runtime=props["Runtime"], Handler=handler, Code={"ZipFile": placeholder_zip(name)})
    if "LoggingConfig" in props:
        request["LoggingConfig"] = stack.resolve(props["LoggingConfig"])
    if "TracingConfig" in props:
        request["TracingConfig"] = props["TracingConfig"]
    try:
        lam.create_function(**request)
    except lam.exceptions.ResourceConflictException:
        pass  # provisioned before: safe to run twice


def _version(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    lam = client("lambda")
    function = stack.resolve(props["FunctionName"])
    published = [v for v in lam.list_versions_by_function(FunctionName=function)["Versions"] if v["Version"] != "$LATEST"]
    version = published[-1] if published else lam.publish_version(FunctionName=function, Description=str(props.get("Description", "")))
    stack.created[logical_id] = {"Ref": version["FunctionArn"], "Version": version["Version"]}


def _alias(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    lam = client("lambda")
    function, name, version = stack.resolve(props["FunctionName"]), stack.resolve(props["Name"]), stack.resolve(props["FunctionVersion"])
    existing = {a["Name"] for a in lam.list_aliases(FunctionName=function)["Aliases"]}
    write = lam.update_alias if name in existing else lam.create_alias  # moto's "exists" error is not AWS's type
    write(FunctionName=function, Name=name, FunctionVersion=version, Description=str(props.get("Description", "")))


def _invoke_config(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    request = {k: v for k, v in stack.resolve(props).items() if k in ("FunctionName", "Qualifier", "MaximumRetryAttempts",
                                                                       "MaximumEventAgeInSeconds", "DestinationConfig")}
    client("lambda").put_function_event_invoke_config(**request)


def _subscription(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    sns = client("sns")
    topic, endpoint = stack.resolve(props["TopicArn"]), stack.resolve(props["Endpoint"])
    existing = sns.list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions", [])
    if not any(s["Endpoint"] == endpoint for s in existing):
        sns.subscribe(TopicArn=topic, Protocol=props["Protocol"], Endpoint=endpoint)


def _alarm(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    """The template's properties are ``PutMetricAlarm``'s, references resolved (the actions' topic ARNs)."""
    request = {k: v for k, v in stack.resolve(props).items() if k != "Tags"}
    request["AlarmName"] = stack.alarm_name(logical_id)
    client("cloudwatch").put_metric_alarm(**request)


def _dashboard(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    name = str(stack.resolve(props["DashboardName"])) if "DashboardName" in props else f"{stack.stack_name}-{logical_id}"
    client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=stack.resolve(props["DashboardBody"]))


def _rule(stack: StackRefs, logical_id: str, props: dict[str, Any]) -> None:
    """The rule and its targets; the targets' ``Input``, ``InputPath`` and ``InputTransformer`` are PutTargets' own shapes."""
    events = client("events")
    name = stack.rule_name(logical_id)
    request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED"), "Description": str(props.get("Description", ""))}
    if "ScheduleExpression" in props:
        request["ScheduleExpression"] = props["ScheduleExpression"]
    if "EventPattern" in props:
        request["EventPattern"] = json.dumps(stack.resolve(props["EventPattern"]))
    events.put_rule(**request)
    targets = stack.resolve(props.get("Targets", []))
    if targets:
        events.put_targets(Rule=name, Targets=targets)


def placeholder_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", f"The emulator runs {name}'s handler in process (lightship.local.lambda_router); this zip never runs.\n")
    return buffer.getvalue()


_CREATE = {
    "AWS::KMS::Key": _key,
    "AWS::IAM::Policy": _policy,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::Lambda::Version": _version,
    "AWS::Lambda::Alias": _alias,
    "AWS::Lambda::EventInvokeConfig": _invoke_config,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::Events::Rule": _rule,
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    LOGGING: _bucket_logging,
    "AWS::DynamoDB::Table": _table,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::IAM::Role": _role,
    "AWS::SageMaker::ModelPackageGroup": _model_package_group,
    "AWS::SNS::Topic": _topic,
    "AWS::Lambda::Function": _function,
    "AWS::SNS::Subscription": _subscription,
    "AWS::CloudWatch::Alarm": _alarm,
}
