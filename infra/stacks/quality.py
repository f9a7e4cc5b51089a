"""``QualityStack``: the scheduled quality run on Step Functions (docs/quality.md).

The state machine (name ``Resources.quality_state_machine`` (lightship/resources.py)), started by the EventBridge
schedule ``settings.quality.schedule`` with ``{"time": ...}`` or by ``lightship quality run``
with ``{"date": "YYYY-MM-DD"}``::

    Measure (the quality function: join, metrics, report, CloudWatch metrics)
        -> Alert? -> PublishReport (SNS: the verdict per version and the report's address) -> Done
    a failure after retries -> NotifyFailure (SNS) -> QualityRunFailed (Fail)

The CloudWatch alarms on the ``QualityBreach`` metrics (monitoring stack) act on a breach:
alert, or roll back with ``quality.on_breach=rollback``. The message published here says why,
with the figures, since an alarm's notification only names the metric.

One function, from the batch image (``lambdas/batch_image/Dockerfile``: pandas, pyarrow and
scikit-learn do not fit a zip), with its own role: it reads predictions (capture, batch
scores) and labels, writes reports under the quality report prefix, reads the registry, the
bundles and the deployment record, and puts metrics in the Lightship namespace only. Built by
:func:`infra.app_builder.build_app`; the emulator runs the definition this stack synthesizes
(``lightship/local/state_machines.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.logged_function import logged_function
from infra.constructs.logged_state_machine import logged_state_machine
from infra.nag import grant_with_reasons
from infra.settings_env import function_environment
from infra.stacks.alerts import alerts_topic_arn
from infra.stacks.batch import DOCKERFILE, IMAGE_CONTEXT, REPO_ROOT
from lightship import observability as names
from lightship.resources import Resources
from lightship.settings import QualitySettings

QUALITY_HANDLER = "lambdas.quality.handler.handler"
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
# A run rereads the window and rewrites the same report: a retry after a transient failure is safe.
TASK_RETRY_ATTEMPTS = 2


@dataclass(frozen=True)
class QualityProps:
    names: Resources  # buckets, table, group, function, state machine, alerts topic
    quality: QualitySettings
    settings_env: dict[str, str]  # the user's settings as the function reads them (infra/settings_env.py)
    model_prefix: str
    evaluation_prefix: str
    capture_prefix: str
    batch_output_prefix: str


class QualityStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: QualityProps,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        self.topic = sns.Topic.from_topic_arn(self, "AlertsTopic", alerts_topic_arn(self, props.names))
        self.function = self._function(props, props.names.data_bucket, props.names.artifact_bucket)
        self.state_machine = self._state_machine(props)
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"{props.names.project}: join the window's labels to predictions and measure quality per version.",
            schedule=events.Schedule.expression(props.quality.schedule),
            targets=[targets.SfnStateMachine(self.state_machine, input=events.RuleTargetInput.from_object({"time": events.EventField.time}),
                                             retry_attempts=2)],
        )
        cdk.CfnOutput(self, "QualityStateMachineArn", value=self.state_machine.state_machine_arn,
                      description="Quality state machine; start it with {\"date\": \"YYYY-MM-DD\"}.")

    def _function(self, props: QualityProps, data_bucket: str, artifact_bucket: str) -> lambda_.DockerImageFunction:
        logged = logged_function(
            self,
            "Measure",
            lambda_.DockerImageFunction,
            function_name=self.names.quality_function,
            role_description="Lightship quality run: read predictions and labels, write the report, put quality metrics.",
            retention=LOG_RETENTION,
            description="Lightship quality: join labels to predictions, realized and estimated metrics per version.",
            code=lambda_.DockerImageCode.from_image_asset(
                str(REPO_ROOT), file=DOCKERFILE, cmd=[QUALITY_HANDLER],
                exclude=["*", *(f"!{d}" for d in IMAGE_CONTEXT), "**/__pycache__", "**/*.pyc"],
                ignore_mode=cdk.IgnoreMode.DOCKER,
            ),
            memory_size=props.quality.memory_mb,
            timeout=cdk.Duration.minutes(15),
            tracing=lambda_.Tracing.ACTIVE,
            environment=function_environment(props.settings_env, props.names, self.account, names.SERVICE_QUALITY),
            architecture=lambda_.Architecture.X86_64,
        )
        objects = lambda bucket, prefix: f"arn:{cdk.Aws.PARTITION}:s3:::{bucket}/{prefix.strip('/')}/*"
        q = props.quality
        read_prefixes = [props.capture_prefix, props.batch_output_prefix, q.labels_prefix, q.report_prefix]
        table_arn = cdk.Arn.format(cdk.ArnComponents(service="dynamodb", resource="table", resource_name=self.names.deployment_table), self)
        package_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="model-package",
                                                       resource_name=f"{props.names.model_package_group}/*"), self)
        grant_with_reasons(self, logged.role, [
            (iam.PolicyStatement(sid="ListWindow", actions=["s3:ListBucket"], resources=[f"arn:{cdk.Aws.PARTITION}:s3:::{data_bucket}"],
                                 conditions={"StringLike": {"s3:prefix": [f"{p.strip('/')}/*" for p in read_prefixes]}}), None),
            (iam.PolicyStatement(sid="ReadPredictionsAndLabels", actions=["s3:GetObject"],
                                 resources=[objects(data_bucket, p) for p in read_prefixes]),
             "Quality reads the window's capture files, batch scores and labels (dated keys, names chosen by serving, "
             "batch runs and users' pipelines) and earlier reports; read-only."),
            (iam.PolicyStatement(sid="WriteReport", actions=["s3:PutObject"], resources=[objects(data_bucket, q.report_prefix)]),
             "Quality writes report.json and report.html under a date-specific key of the quality report prefix."),
            (iam.PolicyStatement(sid="ReadBundlesAndEvaluations", actions=["s3:GetObject"],
                                 resources=[objects(artifact_bucket, props.model_prefix), objects(artifact_bucket, props.evaluation_prefix)]),
             "Quality reads each version's bundle (classes, calibrator) and evaluation report (holdout metrics), keyed "
             "by training job name; read-only."),
            (iam.PolicyStatement(sid="ReadDeploymentRecord", actions=["dynamodb:GetItem", "dynamodb:Query"], resources=[table_arn]), None),
            (iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"]),
             "sagemaker:ListModelPackages supports no resource-level permissions; it lists version ARNs only."),
            (iam.PolicyStatement(sid="DescribeVersions", actions=["sagemaker:DescribeModelPackage"], resources=[package_arn]),
             "Model package versions are numbered as they are registered (group/1, group/2, ...); read-only, only the "
             "project's model package group."),
            (iam.PolicyStatement(sid="PutQualityMetrics", actions=["cloudwatch:PutMetricData"], resources=["*"],
                                 conditions={"StringEquals": {"cloudwatch:namespace": names.NAMESPACE}}),
             "cloudwatch:PutMetricData supports no resource-level permissions; the condition limits it to the "
             "Lightship namespace."),
            (iam.PolicyStatement(sid="Tracing", actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
             "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."),
        ])
        return logged.function

    def _state_machine(self, props: QualityProps) -> sfn.StateMachine:
        notify_failure = tasks.SnsPublish(
            self, "NotifyFailure", topic=self.topic, subject=f"{props.names.project} quality run failed",
            message=sfn.TaskInput.from_json_path_at("States.Format('Quality run {} failed: {}', $$.Execution.Name, $.error.Cause)"),
            result_path=sfn.JsonPath.DISCARD,
        )
        failed = sfn.Fail(self, "QualityRunFailed", error_path="$.error.Error", cause_path="$.error.Cause")
        measure = tasks.LambdaInvoke(
            self, "Measure", lambda_function=self.function, payload_response_only=True, retry_on_service_exceptions=True,
            payload=sfn.TaskInput.from_object({"request": sfn.JsonPath.object_at("$")}), result_path="$.result",
        )
        measure.add_retry(errors=[sfn.Errors.ALL], interval=cdk.Duration.seconds(2), max_attempts=TASK_RETRY_ATTEMPTS, backoff_rate=2.0)
        publish = tasks.SnsPublish(
            self, "PublishReport", topic=self.topic, subject=sfn.JsonPath.string_at("$.result.subject"),
            message=sfn.TaskInput.from_json_path_at("$.result.message"), result_path=sfn.JsonPath.DISCARD,
        )
        on_failure = notify_failure.next(failed)
        for state in (measure, publish):
            state.add_catch(on_failure, errors=[sfn.Errors.ALL], result_path="$.error")
        done = sfn.Succeed(self, "Done")
        alert = sfn.Choice(self, "Alert").when(sfn.Condition.boolean_equals("$.result.alert", True), publish.next(done)).otherwise(done)
        definition = measure.next(alert)
        return logged_state_machine(self, name=self.names.quality_state_machine, definition=definition, timeout=cdk.Duration.hours(1),
                                    retention=LOG_RETENTION, why={
            "lambda:": "LambdaInvoke grants invoke on the quality function and its versions/aliases (ARN:*); only this stack's function.",
        })
