"""The registry stack: model package group, deployment-record table, least-privilege SageMaker role."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.nag import flatten_cfn_reference

DATA = "arn:<AWS::Partition>:s3:::lightship-data-<AWS::AccountId>-<AWS::Region>"
ARTIFACTS = "arn:<AWS::Partition>:s3:::lightship-artifacts-<AWS::AccountId>-<AWS::Region>"
LOG_GROUP = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/TrainingJobs"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def statements(registry: Template) -> list[dict[str, Any]]:
    """The training role's policy statements, resources flattened to strings as cdk-nag spells them."""
    policies = registry.find_resources("AWS::IAM::Policy")
    assert len(policies) == 1
    (policy,) = policies.values()
    out = []
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        out.append(
            {
                **statement,
                "Action": sorted(_as_list(statement["Action"])),
                "Resource": sorted(flatten_cfn_reference(r) for r in _as_list(statement["Resource"])),
            }
        )
    return out


def _by_sid(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements}


def test_model_package_group_is_named_from_settings_and_retained(registry: Template) -> None:
    registry.resource_count_is("AWS::SageMaker::ModelPackageGroup", 1)
    registry.has_resource(
        "AWS::SageMaker::ModelPackageGroup",
        {
            "Properties": Match.object_like({"ModelPackageGroupName": "lightship-models"}),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_deployment_table_has_pk_sk_on_demand_pitr_encryption_and_is_retained(registry: Template) -> None:
    registry.resource_count_is("AWS::DynamoDB::Table", 1)
    registry.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "TableName": "lightship-deployments",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "AttributeDefinitions": Match.array_equals(
                        [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
                    ),
                    "BillingMode": "PAY_PER_REQUEST",
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    # SSEEnabled with no key given means the AWS-managed aws/dynamodb KMS key.
                    "SSESpecification": {"SSEEnabled": True},
                    "DeletionProtectionEnabled": True,
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_only_sagemaker_of_this_account_may_assume_the_training_role(registry: Template) -> None:
    registry.resource_count_is("AWS::IAM::Role", 1)
    registry.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "lightship-sagemaker-execution",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ],
            },
        },
    )
    # Inline least-privilege policy only: no AWS managed policy such as AmazonSageMakerFullAccess.
    (role,) = registry.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]


def test_training_role_reads_training_data_and_code_prefixes_only(statements: list[dict[str, Any]]) -> None:
    sids = _by_sid(statements)
    assert sids["ReadTrainingData"]["Action"] == ["s3:GetObject"]
    assert sids["ReadTrainingData"]["Resource"] == [f"{DATA}/training/*"]
    assert sids["ListTrainingData"]["Action"] == ["s3:ListBucket"]
    assert sids["ListTrainingData"]["Resource"] == [DATA]
    assert sids["ListTrainingData"]["Condition"] == {"StringLike": {"s3:prefix": ["training", "training/*"]}}
    assert sids["ReadTrainingCode"]["Action"] == ["s3:GetObject"]
    assert sids["ReadTrainingCode"]["Resource"] == [f"{ARTIFACTS}/code/*"]
    assert sids["ListTrainingCode"]["Resource"] == [ARTIFACTS]
    assert sids["ListTrainingCode"]["Condition"] == {"StringLike": {"s3:prefix": ["code", "code/*"]}}


def test_training_role_writes_only_under_the_model_prefix(statements: list[dict[str, Any]]) -> None:
    writes = [s for s in statements if any(a.startswith(("s3:Put", "s3:Delete", "s3:Abort")) for a in s["Action"])]
    assert len(writes) == 1
    assert writes[0]["Sid"] == "WriteModelArtifacts"
    assert writes[0]["Action"] == ["s3:AbortMultipartUpload", "s3:PutObject"]
    assert writes[0]["Resource"] == [f"{ARTIFACTS}/models/*"]
    # Nothing at all may be written to, or deleted from, the data bucket.
    for statement in statements:
        if any(r.startswith(DATA) for r in statement["Resource"]):
            assert set(statement["Action"]) <= {"s3:GetObject", "s3:ListBucket"}, statement["Sid"]


def test_training_role_logs_only_to_sagemakers_training_log_group(statements: list[dict[str, Any]]) -> None:
    sids = _by_sid(statements)
    assert sids["TrainingLogGroup"]["Action"] == ["logs:CreateLogGroup"]
    assert sids["TrainingLogGroup"]["Resource"] == [LOG_GROUP]
    assert sids["TrainingLogStreams"]["Action"] == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    assert sids["TrainingLogStreams"]["Resource"] == [f"{LOG_GROUP}:log-stream:*"]


def test_training_role_puts_metrics_only_in_sagemakers_namespace(statements: list[dict[str, Any]]) -> None:
    metrics = _by_sid(statements)["TrainingMetrics"]
    assert metrics["Action"] == ["cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}}


def test_training_role_pulls_only_the_scikit_learn_framework_image(statements: list[dict[str, Any]]) -> None:
    pull = _by_sid(statements)["PullFrameworkImage"]
    assert pull["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert pull["Resource"] == ["arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/sagemaker-scikit-learn"]
    assert _by_sid(statements)["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]


def test_no_statement_grants_wildcard_actions_or_unconditioned_wildcard_resources(
    statements: list[dict[str, Any]],
) -> None:
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in statement["Action"]:
            assert "*" not in action, statement["Sid"]
    star = {s["Sid"]: s for s in statements if "*" in s["Resource"]}
    # Only the two actions AWS offers no resource-level permissions for.
    assert set(star) == {"EcrLogin", "TrainingMetrics"}
    assert star["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert "Condition" in star["TrainingMetrics"]


def test_outputs_name_the_group_table_and_role(registry: Template) -> None:
    registry.has_output("ModelPackageGroupName", {"Value": "lightship-models"})
    registry.has_output("ModelPackageGroupArn", {"Value": {"Fn::GetAtt": ["ModelPackageGroup", "ModelPackageGroupArn"]}})
    (table_id,) = registry.find_resources("AWS::DynamoDB::Table")
    registry.has_output("DeploymentTableName", {"Value": {"Ref": table_id}})
    (role_id,) = registry.find_resources("AWS::IAM::Role")
    registry.has_output("SageMakerExecutionRoleArn", {"Value": {"Fn::GetAtt": [role_id, "Arn"]}})


def test_registry_stack_deploys_after_storage_without_cross_stack_exports(synthesized: Any) -> None:
    storage, registry = synthesized.stacks["storage"], synthesized.stacks["registry"]
    assert storage in registry.dependencies
    # Names, not exports, cross the boundary: an export would pin the buckets.
    assert "Fn::ImportValue" not in str(synthesized.templates["registry"].to_json())
    outputs = synthesized.templates["storage"].to_json().get("Outputs", {})
    assert all("Export" not in output for output in outputs.values())
