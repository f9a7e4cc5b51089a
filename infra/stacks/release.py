"""``ReleaseStack``: the release state machine and its function.

The state machine (name ``Resources.release_state_machine`` (lightship/resources.py)), started by
``lightship release start`` with ``{"release_id", "next_step": 0, "holds": 0}``::

    SetWeight -> Bake (Wait bake_seconds) -> Check -> Verdict?
        next    -> SetWeight (the following step)
        hold    -> Bake (too little traffic; Check aborts after release.max_holds)
        promote -> Promote -> Promoted (Abort if the candidate is no longer Approved)
        ready   -> ShadowReady (a shadow's evidence is in: a person promotes or aborts)
        ended   -> Ended (an alarm or a person ended the release meanwhile)
        abort   -> Abort -> ReleaseAborted (Fail)
    a task that fails after its retries -> Abort

One small zip function (``lambdas/release/handler.py``, the rollback function's
dependencies) runs every task; its grants are only what the tasks do: read and
conditionally write the deployment record, read and reject registry versions, read
the candidate's metrics and alarms. Candidate alarms abort a release through the
rollback route (monitoring stack), not through this machine: it only sees the end on its
next task. Built by :func:`infra.app_builder.build_app`; the emulator executes the
definition this stack synthesizes (``lightship/local/state_machines.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.logged_function import logged_function
from infra.constructs.logged_state_machine import logged_state_machine
from infra.constructs.python_zip import python_zip_code, read_requirements
from infra.nag import grant_with_reasons
from infra.settings_env import function_environment
from lightship import observability as names
from lightship.release import checks
from lightship.resources import Resources
from lightship.settings import REPO_ROOT

RUNTIME = lambda_.Runtime.PYTHON_3_14
# The release function needs exactly the rollback function's dependencies (record, registry, props, powertools).
RELEASE_REQUIREMENTS = tuple(read_requirements(REPO_ROOT / "lambdas" / "rollback" / "requirements.txt"))
RELEASE_SOURCES = ("lightship", "lambdas/release")
RELEASE_HANDLER = "lambdas.release.handler.handler"
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
TASK_RETRY_ATTEMPTS = 2


@dataclass(frozen=True)
class ReleaseProps:
    names: Resources  # table, group, artifact bucket, function, state machine
    candidate_alarms: frozenset[str]  # the alarms Check reads (lightship.monitoring.alarms.candidate_alarm_names)
    evaluation_prefix: str
    memory_mb: int  # release.memory_mb
    settings_env: dict[str, str]  # the user's settings as the function reads them (infra/settings_env.py)


class ReleaseStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ReleaseProps,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        self.function = self._function(props, props.names.artifact_bucket)
        self.state_machine = self._state_machine(props)
        cdk.CfnOutput(self, "ReleaseStateMachineArn", value=self.state_machine.state_machine_arn)

    def _function(self, props: ReleaseProps, artifact_bucket_name: str) -> lambda_.Function:
        logged = logged_function(
            self,
            "ReleaseStep",
            lambda_.Function,
            function_name=self.names.release_function,
            role_description="Lightship release: step the deployment record's release, check the candidate, promote or abort.",
            retention=LOG_RETENTION,
            description="Lightship release state machine tasks: set a step's weight, check the candidate, promote, abort.",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=RELEASE_HANDLER,
            code=python_zip_code(requirements=RELEASE_REQUIREMENTS, sources=RELEASE_SOURCES, runtime=RUNTIME),
            memory_size=props.memory_mb,
            timeout=cdk.Duration.seconds(60),
            tracing=lambda_.Tracing.ACTIVE,
            environment=function_environment(props.settings_env, props.names, self.account, names.SERVICE_RELEASE),
        )
        table_arn = cdk.Arn.format(cdk.ArnComponents(service="dynamodb", resource="table", resource_name=self.names.deployment_table), self)
        package_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="model-package",
                                                       resource_name=f"{props.names.model_package_group}/*"), self)
        reports = f"arn:{cdk.Aws.PARTITION}:s3:::{artifact_bucket_name}/{props.evaluation_prefix.strip('/')}/*"
        alarm_arns = [cdk.Arn.format(cdk.ArnComponents(service="cloudwatch", resource="alarm", resource_name=alarm,
                                                       arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME), self)
                      for alarm in sorted(props.candidate_alarms)]
        grant_with_reasons(self, logged.role, [
            (iam.PolicyStatement(sid="ReadAndStepRecord",
                                 actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
                                 resources=[table_arn]), None),
            (iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"]),
             "sagemaker:ListModelPackages supports no resource-level permissions; it lists version ARNs only."),
            (iam.PolicyStatement(sid="ReadAndRejectCandidate", actions=["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"],
                                 resources=[package_arn]),
             "Model package versions are numbered as they are registered (group/1, group/2, ...); an aborted release's "
             "candidate is marked Rejected; only the project's model package group."),
            (iam.PolicyStatement(sid="ReadEvaluationReports", actions=["s3:GetObject"], resources=[reports]),
             "The registry reads each version's evaluation report, keyed by training job name, under the evaluations "
             "prefix of the artifact bucket; read-only."),
            (iam.PolicyStatement(sid="ReadCandidateMetrics", actions=["cloudwatch:GetMetricStatistics"], resources=["*"]),
             "cloudwatch:GetMetricStatistics supports no resource-level permissions; read-only, to count the "
             "candidate's requests and load failures."),
            (iam.PolicyStatement(sid="ReadCandidateAlarms", actions=["cloudwatch:DescribeAlarms"], resources=alarm_arns), None),
            (iam.PolicyStatement(sid="Tracing", actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
             "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."),
        ])
        return logged.function

    def _state_machine(self, props: ReleaseProps) -> sfn.StateMachine:
        def task(id_: str, action: str) -> tasks.LambdaInvoke:
            invoke = tasks.LambdaInvoke(
                self, id_, lambda_function=self.function, payload_response_only=True, retry_on_service_exceptions=True,
                payload=sfn.TaskInput.from_object({"action": action, "state": sfn.JsonPath.object_at("$")}),
            )
            # Every task is idempotent (it re-reads the record), so a retry after a transient failure is safe.
            invoke.add_retry(errors=[sfn.Errors.ALL], interval=cdk.Duration.seconds(1), max_attempts=TASK_RETRY_ATTEMPTS,
                             backoff_rate=2.0)
            return invoke

        set_weight = task("SetWeight", "set_weight")
        bake = sfn.Wait(self, "Bake", time=sfn.WaitTime.seconds_path("$.bake_seconds"))
        check = task("Check", "check")
        promote = task("Promote", "promote")
        abort = task("Abort", "abort")
        aborted = sfn.Fail(self, "ReleaseAborted", error="ReleaseAborted", cause="The release was aborted; the live version stays.")
        abort.next(aborted)
        # A task that keeps failing cannot tell whether the candidate is good: abort (keeps the live version).
        failed = sfn.Pass(self, "TaskFailed", parameters={
            "release_id": sfn.JsonPath.string_at("$.release_id"),
            "reason": sfn.JsonPath.format("a release task failed: {}", sfn.JsonPath.string_at("$.error.Cause")),
        }).next(abort)
        for state in (set_weight, check, promote):
            state.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")
        def said(verdict: str) -> sfn.Condition:
            return sfn.Condition.string_equals("$.verdict", verdict)

        ended = sfn.Succeed(self, "Ended")
        # Promote refuses a candidate that lost its approval meanwhile (someone rejected it): abort.
        promoted = (
            sfn.Choice(self, "PromoteOutcome")
            .when(said(checks.PROMOTED), sfn.Succeed(self, "Promoted"))
            .when(said(checks.ENDED), ended)
            .otherwise(abort)
        )
        verdict = (
            sfn.Choice(self, "Verdict")
            .when(said(checks.NEXT), set_weight)
            .when(said(checks.HOLD), bake)
            .when(said(checks.PROMOTE), promote.next(promoted))
            .when(said(checks.READY), sfn.Succeed(self, "ShadowReady"))
            .when(said(checks.ENDED), ended)
            .otherwise(abort)
        )
        definition = set_weight.next(bake).next(check).next(verdict)
        return logged_state_machine(self, name=self.names.release_state_machine, definition=definition, timeout=cdk.Duration.days(7),
                                    retention=LOG_RETENTION, why={
            "lambda:": "LambdaInvoke grants invoke on the release function and its versions/aliases (ARN:*); only this stack's function.",
        })
