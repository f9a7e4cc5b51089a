"""``StorageStack``: the data, artifact and access-log buckets.

Built by :func:`infra.app_builder.build_app`. The other stacks take the bucket *names*
from the same resolved names (their props' ``names``, :mod:`lightship.resources`) and
import them with ``s3.Bucket.from_bucket_name`` in their own scope, the builder
adding a stack dependency. The names hold only AWS::AccountId / AWS::Region
(or literals), so no CloudFormation export ties the stacks together: an export
would block replacing a bucket while any stack imports it. Within this stack the
``s3.Bucket`` objects are ``data_bucket``, ``artifact_bucket``, ``access_log_bucket``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.secure_bucket import SecureBucket
from lightship.resources import Resources

# Access logs are an audit trail: kept for a year, then expired so the bucket does not grow forever.
ACCESS_LOG_RETENTION_DAYS = 365


@dataclass(frozen=True)
class StorageProps:
    names: Resources  # the three bucket names


class StorageStack(cdk.Stack):
    """Three :class:`SecureBucket` s named from the settings.

    ``data_bucket`` holds training data, batch inputs/outputs and inference capture
    (under the settings' prefixes); ``artifact_bucket`` holds training code, model
    bundles and evaluations; ``access_log_bucket`` receives both buckets' server
    access logs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: StorageProps,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # Names embed the account and region the stack is deployed to: literals when the app
        # has an env, the AWS::AccountId / AWS::Region tokens otherwise (infra.app_builder.stack_names).
        self.names = props.names

        self.access_log_bucket: s3.IBucket = SecureBucket(
            self,
            "AccessLogBucket",
            bucket_name=self.names.access_log_bucket,
            access_logs_bucket=None,
            expiration_days=ACCESS_LOG_RETENTION_DAYS,
            removal_policy=removal_policy,
        ).bucket

        self.data_bucket: s3.IBucket = SecureBucket(
            self,
            "DataBucket",
            bucket_name=self.names.data_bucket,
            access_logs_bucket=self.access_log_bucket,
            access_logs_prefix="data/",
            removal_policy=removal_policy,
        ).bucket

        self.artifact_bucket: s3.IBucket = SecureBucket(
            self,
            "ArtifactBucket",
            bucket_name=self.names.artifact_bucket,
            access_logs_bucket=self.access_log_bucket,
            access_logs_prefix="artifacts/",
            removal_policy=removal_policy,
        ).bucket

        cdk.CfnOutput(self, "DataBucketName", value=self.data_bucket.bucket_name,
                      description="Training data, batch input/output and inference capture.")
        cdk.CfnOutput(self, "ArtifactBucketName", value=self.artifact_bucket.bucket_name,
                      description="Training code, model bundles and evaluations.")
        cdk.CfnOutput(self, "AccessLogBucketName", value=self.access_log_bucket.bucket_name,
                      description="Server access logs of the data and artifact buckets.")
