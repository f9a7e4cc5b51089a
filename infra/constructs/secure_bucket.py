"""``SecureBucket``: the one way Lightship makes an S3 bucket.

Used by :class:`infra.stacks.storage.StorageStack` for the data, artifact and
access-log buckets; later stacks (batch reports, inference capture) should use it
too rather than configure ``s3.Bucket`` by hand, so every bucket gets the same
guarantees: encryption at rest, TLS-only access, no public access, versioning with
a bounded history, server access logs, and retention on stack deletion.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge

DEFAULT_NONCURRENT_VERSION_DAYS = 90
DEFAULT_ABORT_MULTIPART_DAYS = 7


class SecureBucket(Construct):
    """An S3 bucket that is secure by default; the bucket itself is ``self.bucket``.

    Encryption is SSE-S3 (``S3_MANAGED``), not KMS, because:

    * S3 server access logs can only be delivered to a bucket with SSE-S3, so the
      log bucket cannot use KMS whatever we choose for the others;
    * with SSE-S3 the SageMaker role, the serving and batch functions need only S3
      permissions; a customer key would add ``kms:Decrypt``/``GenerateDataKey``
      grants on every role and a key policy to keep in step, for no control we
      need today (access is already scoped per prefix in IAM);
    * it costs nothing per request, which matters for batch jobs that read and
      write millions of objects.

    A bucket that must use a customer-managed key can be added later as a prop
    (``encryption_key``) without changing the callers.

    Pass ``access_logs_bucket=None`` only for the bucket that *receives* the
    access logs: logging a log bucket into itself would loop, so that one bucket
    carries a cdk-nag acknowledgement for rule S1 instead.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        access_logs_bucket: s3.IBucket | None,
        access_logs_prefix: str | None = None,
        noncurrent_version_days: int = DEFAULT_NONCURRENT_VERSION_DAYS,
        expiration_days: int | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)

        lifecycle_rules = [
            s3.LifecycleRule(
                id="bounded-history",
                enabled=True,
                # Versioning protects against overwrites and deletes; old versions
                # still cost money, so they go after a window long enough to notice
                # and recover from a mistake.
                noncurrent_version_expiration=cdk.Duration.days(noncurrent_version_days),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(DEFAULT_ABORT_MULTIPART_DAYS),
                expiration=cdk.Duration.days(expiration_days) if expiration_days else None,
            )
        ]

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            # SSE-C lets a caller encrypt objects with a key we never see: blocked, so
            # nobody (including a stolen credential) can make our data unreadable to us.
            blocked_encryption_types=[s3.BlockedEncryptionType.SSE_C],
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # ACLs disabled: access is decided by IAM and the bucket policy only.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=lifecycle_rules,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=access_logs_prefix,
            # Date-partitioned log keys let Athena prune by day when someone audits access.
            target_object_key_format=(
                s3.TargetObjectKeyFormat.partitioned_prefix(s3.PartitionDateSource.EVENT_TIME)
                if access_logs_bucket is not None
                else None
            ),
            removal_policy=removal_policy,
            # Never auto-delete objects: that would add a custom-resource Lambda and
            # make a stack deletion destroy training data and model artifacts.
            auto_delete_objects=False,
        )

        if access_logs_bucket is None:
            acknowledge(
                self.bucket,
                "AwsSolutions-S1",
                "This bucket is the destination of the other buckets' server access logs; logging it "
                "into itself would create a feedback loop, and AWS advises against logging a log "
                "bucket to itself.",
            )
