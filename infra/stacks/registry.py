"""``RegistryStack``: the model registry, the SageMaker training role and the deployment record.

Built by :func:`infra.app_builder.build_app` after :class:`infra.stacks.storage.StorageStack`,
whose bucket names it receives as props (and imports by name, see ``StorageStack``). The training launcher runs SageMaker jobs as
``training_role``; the register step and the quality gate write versions to
``model_package_group``; promotion, rollback and the serving function read and
conditionally write the live version in ``deployment_table``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.nag import grant_with_reasons
from lightship.resources import Resources

# SageMaker writes every training job's logs and metrics here; the names are fixed by the service.
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRAINING_METRIC_NAMESPACE = "/aws/sagemaker/TrainingJobs"

# SageMaker's scikit-learn framework images live in this repository, in an
# AWS-owned account that differs per region.
SKLEARN_IMAGE_REPOSITORY = "sagemaker-scikit-learn"


@dataclass(frozen=True)
class RegistryProps:
    names: Resources  # group, table, role; the buckets the training role reads and writes
    training_prefix: str
    model_prefix: str
    code_prefix: str


class RegistryStack(cdk.Stack):
    """Model package group, least-privilege SageMaker execution role, deployment-record table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: RegistryProps,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names

        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=props.names.model_package_group,
            model_package_group_description=f"{props.names.project}: trained scikit-learn bundles and their approval.",
        )
        # The registry is the source of truth for approval and lineage: a stack
        # deletion must not take it (CloudFormation could not delete a group that
        # still holds versions anyway).
        self.model_package_group.apply_removal_policy(removal_policy)

        self.deployment_table = dynamodb.Table(
            self,
            "DeploymentTable",
            table_name=self.names.deployment_table,
            # One item names the live version; history items share the partition and
            # sort after it, so promotion/rollback read and write one partition.
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # AWS-managed key rather than the default AWS-owned one: key use shows up in
            # CloudTrail, at no key policy for us to maintain.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=removal_policy,
            # The record is the audit trail of what served when: a console slip must not delete it.
            deletion_protection=removal_policy == cdk.RemovalPolicy.RETAIN,
        )

        # Imported by name, not passed as the storage stack's Bucket objects: a direct
        # reference would become a CloudFormation export that pins the bucket (it could
        # never be replaced while imported) and whose generated name cdk-nag ids would
        # have to spell. The builder orders the stacks with add_dependency instead.
        data_bucket = s3.Bucket.from_bucket_name(self, "DataBucket", props.names.data_bucket)
        artifact_bucket = s3.Bucket.from_bucket_name(self, "ArtifactBucket", props.names.artifact_bucket)
        self.training_role = self._training_role(props, data_bucket, artifact_bucket)

        cdk.CfnOutput(self, "ModelPackageGroupName", value=self.model_package_group.model_package_group_name,
                      description="SageMaker Model Registry group holding every trained version.")
        cdk.CfnOutput(self, "ModelPackageGroupArn", value=self.model_package_group.attr_model_package_group_arn)
        cdk.CfnOutput(self, "DeploymentTableName", value=self.deployment_table.table_name,
                      description="DynamoDB table naming the live model version, with its history.")
        cdk.CfnOutput(self, "SageMakerExecutionRoleArn", value=self.training_role.role_arn,
                      description="Role SageMaker training jobs run as.")

    def _training_role(self, props: RegistryProps, data_bucket: s3.IBucket, artifact_bucket: s3.IBucket) -> iam.Role:
        """The role training jobs run as: read their inputs, write their model, log, pull the image."""
        role = iam.Role(
            self,
            "SageMakerExecutionRole",
            role_name=self.names.sagemaker_role_name,
            description="Lightship SageMaker training jobs: read training data and code, write model artifacts.",
            # aws:SourceAccount stops another account's SageMaker from using this role
            # (confused deputy) without pinning job names we do not know at deploy time.
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            ),
        )

        training = props.training_prefix.strip("/")
        models = props.model_prefix.strip("/")
        code = props.code_prefix.strip("/")
        # Each wildcard resource is acknowledged with the reason of the statement that
        # grants it; a new wildcard without a reason here fails the synth (KeyError).
        statements: list[tuple[iam.PolicyStatement, str | None]] = [
            (
                iam.PolicyStatement(
                    sid="ReadTrainingData",
                    actions=["s3:GetObject"],
                    resources=[data_bucket.arn_for_objects(f"{training}/*")],
                ),
                "Training jobs read every object under the training-data prefix; keys are dataset "
                "versions not known at deploy time. Read-only, scoped to that prefix of the data bucket.",
            ),
            # An S3Prefix input channel lists its prefix before downloading; the
            # condition keeps the listing to that prefix.
            (
                iam.PolicyStatement(
                    sid="ListTrainingData",
                    actions=["s3:ListBucket"],
                    resources=[data_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [training, f"{training}/*"]}},
                ),
                None,
            ),
            (
                iam.PolicyStatement(
                    sid="ReadTrainingCode",
                    actions=["s3:GetObject"],
                    resources=[artifact_bucket.arn_for_objects(f"{code}/*")],
                ),
                "Training jobs download the source archive the launcher uploads under the code prefix; "
                "its key holds the job name. Read-only, scoped to that prefix of the artifact bucket.",
            ),
            (
                iam.PolicyStatement(
                    sid="ListTrainingCode",
                    actions=["s3:ListBucket"],
                    resources=[artifact_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [code, f"{code}/*"]}},
                ),
                None,
            ),
            # SageMaker uploads model.tar.gz and output.tar.gz under the job's output
            # path; large uploads are multipart, so it may need to abort one.
            (
                iam.PolicyStatement(
                    sid="WriteModelArtifacts",
                    actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                    resources=[artifact_bucket.arn_for_objects(f"{models}/*")],
                ),
                "SageMaker writes model.tar.gz under <model prefix>/<job name>/output/, the job name "
                "being chosen at launch. Write-only, scoped to the model prefix of the artifact bucket.",
            ),
            (
                iam.PolicyStatement(
                    sid="TrainingLogGroup",
                    actions=["logs:CreateLogGroup"],
                    resources=[self._log_group_arn(TRAINING_LOG_GROUP)],
                ),
                None,
            ),
            (
                iam.PolicyStatement(
                    sid="TrainingLogStreams",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[self._log_group_arn(f"{TRAINING_LOG_GROUP}:log-stream:*")],
                ),
                "SageMaker names one log stream per training job and host at run time; streams are "
                "limited to the /aws/sagemaker/TrainingJobs log group of this account and region.",
            ),
            # PutMetricData has no resource-level permissions; the namespace condition
            # is the only scope IAM offers, and it is the namespace SageMaker uses.
            (
                iam.PolicyStatement(
                    sid="TrainingMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": TRAINING_METRIC_NAMESPACE}},
                ),
                "cloudwatch:PutMetricData supports no resource-level permissions; it is limited by a "
                "cloudwatch:namespace condition to /aws/sagemaker/TrainingJobs.",
            ),
            (
                iam.PolicyStatement(
                    sid="PullFrameworkImage",
                    actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    resources=[
                        cdk.Arn.format(
                            cdk.ArnComponents(
                                service="ecr",
                                account="*",
                                resource="repository",
                                resource_name=SKLEARN_IMAGE_REPOSITORY,
                            ),
                            self,
                        )
                    ],
                ),
                "SageMaker's scikit-learn images live in an AWS-owned account that differs per region; "
                "the grant is pull-only and pinned to this region and the sagemaker-scikit-learn repository.",
            ),
            (
                iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
                "ecr:GetAuthorizationToken supports no resource-level permissions (AWS requires '*'); the "
                "token alone grants nothing, image pulls are limited by PullFrameworkImage.",
            ),
        ]

        grant_with_reasons(self, role, statements)
        return role

    def _log_group_arn(self, resource_name: str) -> str:
        return cdk.Arn.format(
            cdk.ArnComponents(
                service="logs",
                resource="log-group",
                resource_name=resource_name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
            self,
        )
