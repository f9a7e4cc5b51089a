"""``MonitoringStack``: alarms on the live endpoint, the rollback route, and the dashboard.

Alarms come from :func:`lightship.monitoring.alarms.alarm_specs` (the emulator creates
the same ones). Those meaning "the live version is broken" (error rate, p99 latency,
function errors, model failures) notify the rollback topic, whose Lambda subscription
runs the rollback handler (``lambdas/rollback/handler.py``), and the alerts topic;
the others (throttles, drift from batch runs, a rollback that could not happen) and
every return to OK notify the alerts topic only. Nothing here references the serving
or batch stacks' constructs: alarms and widgets need only metric names and dimensions
(:mod:`lightship.observability`) and the function's name, so this stack deploys
before or after them. Built by :func:`infra.app_builder.build_app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.logged_function import logged_function
from infra.constructs.python_zip import python_zip_code, read_requirements
from infra.nag import grant_with_reasons
from infra.settings_env import function_environment
from infra.stacks.alerts import alerts_topic_arn
from lightship import observability as names
from lightship.monitoring.alarms import AlarmSpec, MetricRef
from lightship.resources import Resources
from lightship.settings import REPO_ROOT

RUNTIME = lambda_.Runtime.PYTHON_3_14
# The rollback function's own dependencies (boto3 comes with the runtime), exported from uv.lock.
ROLLBACK_REQUIREMENTS = tuple(read_requirements(REPO_ROOT / "lambdas" / "rollback" / "requirements.txt"))
ROLLBACK_SOURCES = ("lightship", "lambdas/rollback")
ROLLBACK_HANDLER = "lambdas.rollback.handler.handler"
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS


@dataclass(frozen=True)
class MonitoringProps:
    names: Resources  # table, group, artifact bucket, serving and rollback functions, both topics
    alarms: tuple[AlarmSpec, ...]  # lightship.monitoring.alarms.alarm_specs: what each alarm watches and whom it notifies
    evaluation_prefix: str
    shadow_disagreement_threshold: float  # release.*: the dashboard's annotation
    psi_threshold: float  # batch.*: the dashboard's annotation
    settings_env: dict[str, str]  # the user's settings as the rollback function reads them (infra/settings_env.py)


class MonitoringStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: MonitoringProps,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        self.alerts_topic = sns.Topic.from_topic_arn(self, "AlertsTopic", alerts_topic_arn(self, props.names))
        self.rollback_topic = self._rollback_topic(props)
        self.rollback_function = self._rollback_function(props, props.names.artifact_bucket)
        self.rollback_topic.add_subscription(subscriptions.LambdaSubscription(self.rollback_function))

        self.alarms: dict[str, cw.Alarm] = {}
        for spec in props.alarms:
            self.alarms[spec.name] = self._alarm(spec)
        self.dashboard = self._dashboard(props)

        cdk.CfnOutput(self, "RollbackTopicArn", value=self.rollback_topic.topic_arn,
                      description="SNS topic the 'broken version' alarms notify; the rollback function subscribes.")
        cdk.CfnOutput(self, "RollbackFunctionName", value=self.rollback_function.function_name)
        cdk.CfnOutput(self, "DashboardName", value=self.dashboard.dashboard_name)

    # ---- the rollback route ----------------------------------------------------------------
    def _rollback_topic(self, props: MonitoringProps) -> sns.Topic:
        # A customer-managed key: CloudWatch cannot publish to a topic under alias/aws/sns.
        key = kms.Key(
            self,
            "RollbackTopicKey",
            description=f"{props.names.project}: encrypts alarm notifications on the rollback topic.",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,  # holds only in-flight notifications
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmDelivery",
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        topic = sns.Topic(
            self,
            "RollbackTopic",
            topic_name=self.names.rollback_topic,
            display_name=f"{props.names.project} rollback",
            master_key=key,
            enforce_ssl=True,
        )
        # Only this account's alarms may publish here: anything that can publish can roll back.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsOfThisAccount",
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {"aws:SourceArn": cdk.Arn.format(
                        cdk.ArnComponents(service="cloudwatch", resource="alarm", resource_name=f"{props.names.project}-*",
                                          arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME), self)},
                },
            )
        )
        return topic

    def _rollback_function(self, props: MonitoringProps, artifact_bucket_name: str) -> lambda_.Function:
        logged = logged_function(
            self,
            "Rollback",
            lambda_.Function,
            function_name=self.names.rollback_function,
            role_description="Lightship rollback: rewrite the deployment record, reject the failed version, notify.",
            retention=LOG_RETENTION,
            description="Rolls the live model back to the previous Approved version when a 'broken version' alarm fires.",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=ROLLBACK_HANDLER,
            code=python_zip_code(requirements=ROLLBACK_REQUIREMENTS, sources=ROLLBACK_SOURCES, runtime=RUNTIME),
            memory_size=256,
            timeout=cdk.Duration.seconds(60),
            environment=function_environment(props.settings_env, props.names, self.account, names.SERVICE_ROLLBACK),
            # Async retries (SNS invokes asynchronously) are safe: the handler is idempotent by incident. A
            # rollback whose rejection is still owed fails the invocation on purpose: the retry completes it.
            retry_attempts=2,
        )
        self._grant_rollback(logged.role, props, artifact_bucket_name)
        return logged.function

    def _grant_rollback(self, role: iam.Role, props: MonitoringProps, artifact_bucket_name: str) -> None:
        group = props.names.model_package_group
        table_arn = cdk.Arn.format(cdk.ArnComponents(service="dynamodb", resource="table", resource_name=self.names.deployment_table), self)
        package_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="model-package", resource_name=f"{group}/*"), self)
        reports = f"arn:{cdk.Aws.PARTITION}:s3:::{artifact_bucket_name}/{props.evaluation_prefix.strip('/')}/*"
        statements: list[tuple[iam.PolicyStatement, str | None]] = [
            (iam.PolicyStatement(sid="ReadAndRewriteRecord",
                                 actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
                                 resources=[table_arn]), None),
            (iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"]),
             "sagemaker:ListModelPackages supports no resource-level permissions; it lists version ARNs only, "
             "and the function reads and changes versions only in the project's model package group."),
            (iam.PolicyStatement(sid="ReadAndRejectVersions", actions=["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"],
                                 resources=[package_arn]),
             "Model package versions are numbered as they are registered (group/1, group/2, ...); the grant covers "
             "only the project's model package group."),
            (iam.PolicyStatement(sid="ReadEvaluationReports", actions=["s3:GetObject"], resources=[reports]),
             "The registry reads each version's evaluation report, keyed by training job name, under the "
             "evaluations prefix of the artifact bucket; read-only."),
            (iam.PolicyStatement(sid="NotifyAlerts", actions=["sns:Publish"], resources=[alerts_topic_arn(self, props.names)]), None),
        ]
        grant_with_reasons(self, role, statements)

    # ---- alarms --------------------------------------------------------------------------
    def _alarm(self, spec: AlarmSpec) -> cw.Alarm:
        period = cdk.Duration.seconds(spec.period_seconds)
        metric: cw.IMetric
        if spec.expression is None:
            [only] = spec.metrics
            metric = _metric(only, period)
        else:
            metric = cw.MathExpression(
                expression=spec.expression,
                using_metrics={m.id: _metric(m, period) for m in spec.metrics},
                period=period,
                label=spec.name,
            )
        alarm = cw.Alarm(
            self,
            spec.key,
            alarm_name=spec.name,
            alarm_description=spec.description,
            metric=metric,
            threshold=spec.threshold,
            comparison_operator=getattr(cw.ComparisonOperator, _COMPARISON[spec.comparison]),
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        if spec.rolls_back:
            alarm.add_alarm_action(cw_actions.SnsAction(self.rollback_topic))
        alarm.add_alarm_action(cw_actions.SnsAction(self.alerts_topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.alerts_topic))
        return alarm

    # ---- dashboard -----------------------------------------------------------------------
    def _dashboard(self, props: MonitoringProps) -> cw.Dashboard:
        ns = names.NAMESPACE
        minute = cdk.Duration.minutes(1)

        def serving(name: str, stat: str, label: str, role: str = names.ROLE_LIVE) -> cw.Metric:
            return cw.Metric(namespace=ns, metric_name=name, dimensions_map={"service": names.SERVICE_SERVING, names.DIMENSION_ROLE: role},
                             statistic=stat, period=minute, label=label)

        def by_version(name: str, stat: str, label: str) -> cw.MathExpression:
            # One line per model version and role: the live one, and a release's candidate while one is under way.
            return cw.MathExpression(
                expression=f"SEARCH('{{{ns},{names.DIMENSION_MODEL_VERSION},{names.DIMENSION_ROLE},service}} MetricName=\"{name}\" service=\"{names.SERVICE_SERVING}\"', '{stat}', 60)",
                label=label, period=minute,
            )

        def batch(name: str, stat: str) -> cw.MathExpression:
            return cw.MathExpression(expression=f"SEARCH('{{{ns},{names.DIMENSION_MODEL_VERSION},service}} MetricName=\"{name}\"', '{stat}', 3600)",
                                     label=name, period=cdk.Duration.hours(1))

        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=props.names.dashboard,
                                 default_interval=cdk.Duration.hours(6))
        dashboard.add_widgets(
            cw.TextWidget(markdown=(f"# {props.names.project}: the live model\nServing requests, errors and latency (all versions, "
                                    "and per model version: the line with traffic is the live one), alarms that roll back, "
                                    "batch rows and drift. Rollbacks are in the deployment record's history (`lightship status`)."),
                          width=24, height=2),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Requests by model version (live version)", left=[by_version(names.REQUESTS, "Sum", "")], width=8),
            cw.GraphWidget(title="Errors", left=[serving(names.ERRORS_5XX, "Sum", "5xx"), serving(names.ERRORS_4XX, "Sum", "4xx"),
                                                  serving(names.PREDICTION_FAILURES, "Sum", "prediction failures"),
                                                  serving(names.MODEL_LOAD_FAILURES, "Sum", "model load failures")], width=8),
            cw.GraphWidget(title="Latency (ms)", left=[serving(names.LATENCY_MS, s, s) for s in ("p50", "p90", "p99")], width=8),
        )
        candidate = names.ROLE_CANDIDATE
        dashboard.add_widgets(
            cw.GraphWidget(title="Release candidate: requests (canary) or shadow calls, and 5xx",
                           left=[serving(names.REQUESTS, "Sum", "requests", candidate), serving(names.ERRORS_5XX, "Sum", "5xx", candidate)], width=8),
            cw.GraphWidget(title="Release candidate vs live: p99 latency (ms)",
                           left=[serving(names.LATENCY_MS, "p99", "live"), serving(names.LATENCY_MS, "p99", "candidate", candidate)], width=8),
            cw.GraphWidget(title="Shadow: share of labels differing from live",
                           left=[serving(names.SHADOW_DISAGREEMENT, "Average", "disagreement", candidate)], width=8,
                           left_annotations=[cw.HorizontalAnnotation(value=props.shadow_disagreement_threshold, label="abort above")]),
        )
        dashboard.add_widgets(
            cw.SingleValueWidget(title="Live model version (requests in the last hour, by version)",
                                 metrics=[by_version(names.REQUESTS, "Sum", "")], width=8, set_period_to_time_range=True),
            cw.GraphWidget(title="Rollbacks", left=[
                cw.Metric(namespace=ns, metric_name=names.ROLLBACKS, dimensions_map={"service": names.SERVICE_ROLLBACK}, statistic="Sum", period=minute),
                cw.Metric(namespace=ns, metric_name=names.ROLLBACK_IMPOSSIBLE, dimensions_map={"service": names.SERVICE_ROLLBACK}, statistic="Sum", period=minute),
                cw.Metric(namespace=ns, metric_name=names.RELEASE_ABORTS, dimensions_map={"service": names.SERVICE_ROLLBACK}, statistic="Sum", period=minute),
            ], width=8),
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=8),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="Batch rows: in, scored, rejected", left=[batch(names.ROWS_IN, "Sum"), batch(names.ROWS_SCORED, "Sum"),
                                                                           batch(names.ROWS_REJECTED, "Sum")], width=8),
            cw.GraphWidget(title="Drift: PSI per feature", left=[cw.MathExpression(
                expression=f"SEARCH('Namespace=\"{ns}\" MetricName=\"{names.FEATURE_PSI}\"', 'Maximum', 3600)",
                label="PSI", period=cdk.Duration.hours(1))], width=8,
                left_annotations=[cw.HorizontalAnnotation(value=props.psi_threshold, label="PSI threshold")]),
            cw.GraphWidget(title="Drift: max PSI, drifted features", left=[batch(names.MAX_PSI, "Maximum")],
                           right=[batch(names.DRIFTED_FEATURES, "Maximum")], width=8),
        )
        return dashboard


_COMPARISON = {
    "GreaterThanThreshold": "GREATER_THAN_THRESHOLD",
    "GreaterThanOrEqualToThreshold": "GREATER_THAN_OR_EQUAL_TO_THRESHOLD",
}


def _metric(ref: MetricRef, period: cdk.Duration) -> cw.Metric:
    return cw.Metric(namespace=ref.namespace, metric_name=ref.name, dimensions_map=ref.dimension_map, statistic=ref.stat, period=period)
