"""The storage stack's buckets: encryption, TLS-only, no public access, versioning, logs, retention, names."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from infra.nag import flatten_cfn_reference

BUCKET = "AWS::S3::Bucket"


def _buckets(template: Template) -> dict[str, dict[str, Any]]:
    return template.find_resources(BUCKET)


def _bucket_id(template: Template, name_prefix: str) -> str:
    """Logical id of the bucket whose (flattened) name starts with ``name_prefix``."""
    matches = [
        logical_id
        for logical_id, resource in _buckets(template).items()
        if flatten_cfn_reference(resource["Properties"]["BucketName"]).startswith(name_prefix)
    ]
    assert len(matches) == 1, f"expected one bucket named {name_prefix}*, got {matches}"
    return matches[0]


def test_three_buckets_named_from_settings_for_the_deploying_account_and_region(storage: Template) -> None:
    names = sorted(flatten_cfn_reference(b["Properties"]["BucketName"]) for b in _buckets(storage).values())
    assert names == [
        "lightship-access-logs-<AWS::AccountId>-<AWS::Region>",
        "lightship-artifacts-<AWS::AccountId>-<AWS::Region>",
        "lightship-data-<AWS::AccountId>-<AWS::Region>",
    ]


def test_every_bucket_is_encrypted_blocks_sse_c_and_public_access_and_is_versioned(storage: Template) -> None:
    for logical_id, bucket in _buckets(storage).items():
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
            {
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
            }
        ], logical_id
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, logical_id


def test_every_bucket_policy_denies_requests_without_tls(storage: Template) -> None:
    policies = storage.find_resources("AWS::S3::BucketPolicy")
    covered = set()
    for policy in policies.values():
        bucket_id = policy["Properties"]["Bucket"]["Ref"]
        bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        deny = [
            s
            for s in statements
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert len(deny) == 1, bucket_id
        assert deny[0]["Principal"] == {"AWS": "*"}
        assert deny[0]["Action"] == "s3:*"
        # Both the bucket (List*) and its objects (Get/Put) must be covered.
        assert deny[0]["Resource"] == [bucket_arn, {"Fn::Join": ["", [bucket_arn, "/*"]]}]
        covered.add(bucket_id)
    assert covered == set(_buckets(storage))


def test_data_and_artifact_buckets_log_access_to_the_log_bucket_by_bucket_policy(storage: Template) -> None:
    log_id = _bucket_id(storage, "lightship-access-logs-")
    buckets = _buckets(storage)
    assert "LoggingConfiguration" not in buckets[log_id]["Properties"]

    log_policy = next(
        p for p in storage.find_resources("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"]["Ref"] == log_id
    )
    delivery = [
        s
        for s in log_policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    for name, prefix in (("lightship-data-", "data/"), ("lightship-artifacts-", "artifacts/")):
        source_id = _bucket_id(storage, name)
        assert buckets[source_id]["Properties"]["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": log_id},
            "LogFilePrefix": prefix,
            "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
        }
        # The log service may write only this bucket's prefix, only on behalf of this bucket and account.
        grant = [s for s in delivery if s["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [source_id, "Arn"]}]
        assert len(grant) == 1, name
        assert grant[0]["Action"] == "s3:PutObject"
        assert grant[0]["Effect"] == "Allow"
        assert grant[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert flatten_cfn_reference(grant[0]["Resource"]) == f"<{log_id}.Arn>/{prefix}*"
    # No ACL-based delivery: ACLs are disabled on every bucket.
    for bucket in buckets.values():
        assert "AccessControl" not in bucket["Properties"]


def test_lifecycle_expires_noncurrent_versions_and_access_logs_after_a_year(storage: Template) -> None:
    for logical_id, bucket in _buckets(storage).items():
        (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        assert rule["Status"] == "Enabled"
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}, logical_id
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}, logical_id
        if logical_id == _bucket_id(storage, "lightship-access-logs-"):
            assert rule["ExpirationInDays"] == 365
        else:
            # Training data and model bundles never expire on their own.
            assert "ExpirationInDays" not in rule, logical_id


def test_buckets_are_retained_when_the_stack_is_deleted_or_a_bucket_replaced(storage: Template) -> None:
    for logical_id, bucket in _buckets(storage).items():
        assert bucket["DeletionPolicy"] == "Retain", logical_id
        assert bucket["UpdateReplacePolicy"] == "Retain", logical_id
    # No auto-delete custom resource (it would empty buckets on stack deletion).
    assert storage.find_resources("Custom::S3AutoDeleteObjects") == {}
    assert storage.find_resources("AWS::Lambda::Function") == {}


def test_outputs_name_each_bucket(storage: Template) -> None:
    for output, name in (
        ("DataBucketName", "lightship-data-"),
        ("ArtifactBucketName", "lightship-artifacts-"),
        ("AccessLogBucketName", "lightship-access-logs-"),
    ):
        storage.has_output(output, {"Value": {"Ref": _bucket_id(storage, name)}, "Description": Match.any_value()})
