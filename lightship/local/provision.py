"""Create, on the emulator, the resources the CDK stacks define, with the same names and settings.

Names come from :func:`lightship.resources.resources_for`, which the stacks' names are
derived from too. Safe to run twice. Called by ``lightship local up``, the demo and the
integration tests' fixtures, for every stack (storage, registry, alerts, monitoring, batch, release, quality, retraining).
"""

from __future__ import annotations

import json
from typing import Any

from lightship.clients import client
from lightship.local.alarms import provision_alarms
from lightship.local.batch import provision_batch
from lightship.local.quality import provision_quality
from lightship.local.release import provision_release
from lightship.local.retraining import provision_retraining
from lightship.resources import Resources
from lightship.settings import Settings

SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}



def provision(settings: Settings, resources: Resources) -> None:
    s3 = client("s3")
    _bucket(s3, resources.access_log_bucket, resources, logs=False)
    _bucket(s3, resources.data_bucket, resources)
    _bucket(s3, resources.artifact_bucket, resources)
    _model_package_group(client("sagemaker"), resources.model_package_group)
    _deployment_table(client("dynamodb"), resources.deployment_table)
    _sagemaker_role(client("iam"), resources.sagemaker_role_arn.rsplit("/", 1)[-1])
    provision_alarms(settings, resources)  # topics, rollback function, alarms (monitoring/alerts stacks)
    provision_batch(settings, resources)  # the batch stack's state machine and functions, as synthesized
    provision_release(settings, resources)  # the release stack's state machine and function, as synthesized
    provision_quality(settings, resources)  # the quality stack's state machine and function, as synthesized
    provision_retraining(settings, resources)  # the retraining stack's state machine and function, as synthesized


def _bucket(s3: Any, name: str, resources: Resources, logs: bool = True) -> None:
    try:
        if resources.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": resources.region})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        return
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    # The stacks also deny any request without TLS (aws:SecureTransport). moto enforces
    # that condition, and its server speaks plain HTTP on loopback, so the emulator's
    # buckets leave it out; the synth tests check the stacks keep it.
    if not logs:  # the access-log bucket: let S3's log delivery write, as the stack's bucket policy does
        log_delivery = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        }
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(log_delivery))
    if logs:
        s3.put_bucket_logging(
            Bucket=name,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": resources.access_log_bucket, "TargetPrefix": f"{name}/"}},
        )


def _model_package_group(sagemaker: Any, name: str) -> None:
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=name)
    except Exception:  # noqa: BLE001 - moto and AWS differ in the "not found" error type
        sagemaker.create_model_package_group(
            ModelPackageGroupName=name, ModelPackageGroupDescription="Lightship model versions"
        )


def _deployment_table(dynamodb: Any, name: str) -> None:
    try:
        dynamodb.describe_table(TableName=name)
        return
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True},
    )


def _sagemaker_role(iam: Any, name: str) -> None:
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
