"""``RetrainingStack``: the retraining state machine, its function, and what starts it (docs/retraining.md).

The state machine (name ``Resources.retraining_state_machine`` (lightship/resources.py)), started by the function
(on a trigger) or ``lightship retrain`` with ``{"run_id", "trigger", "poll_seconds"}``::

    Assemble (parent's rows + the window's labeled rows, by id, as a dataset version in S3)
        -> Enough? no_run / refused -> Finish
        -> StartTraining (sagemaker:createTrainingJob, not .sync: it runs on AWS and the emulator) -> StartPolling
           -> WaitForTraining (poll_seconds) -> CountPoll -> DescribeTraining -> TrainingStatus?
                Completed -> Register;  InProgress / Stopping after max_polls looks -> TrainingTimedOut -> Fail;
                InProgress / Stopping -> WaitForTraining;  else -> TrainingFailed -> Fail
        Register (lineage: trigger, parent, dataset; the quality gate) -> Approved?
            yes -> Release (a canary with the default schedule) -> Finish;  no -> Finish (alert: the gate's reason)
    a failure anywhere -> Fail task (alert; the live version is untouched) -> RetrainingFailed

Every task has a timeout (TASK_TIMEOUT, SDK_TIMEOUT) caught like any error, and the wait loop has a
budget (Assemble's ``max_polls``, from ``retraining.training_timeout_minutes``): a run that takes too
long ends on the Fail path (alert, outcome, lock freed). The machine's own timeout (``stale_run_hours``)
is only a backstop.

One function (the batch image: pandas and pyarrow) runs the tasks and the triggers: it is
subscribed to the alerts topic (a batch run's drift alert, the quality alarm) and, with
``retraining.schedule``, targeted by a schedule. Its role reads exactly the prefixes a run
reads (capture, batch scores, labels, training data; bundles and evaluation reports) and
writes only dataset versions and evaluation reports. Built by :func:`infra.app_builder.build_app`;
the emulator creates its function, role, log groups, subscription and state machine from this stack's
synthesized template (``lightship/local/from_templates.py``, ``state_machines.py``) and executes that definition.
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
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.logged_function import logged_function
from infra.constructs.logged_state_machine import logged_state_machine
from infra.nag import grant_with_reasons
from infra.settings_env import function_environment
from infra.stacks.alerts import alerts_topic_arn
from infra.stacks.batch import DOCKERFILE, IMAGE_CONTEXT, REPO_ROOT
from lightship.observability import SERVICE_RETRAINING
from lightship.resources import Resources
from lightship.settings import RetrainingSettings

RETRAINING_HANDLER = "lambdas.retraining.handler.handler"
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
TASK_RETRY_ATTEMPTS = 2
JOB = "$.assembled.job"
FUNCTION_TIMEOUT = cdk.Duration.minutes(15)
TASK_TIMEOUT = cdk.Duration.minutes(16)  # the function's own limit, plus the invocation around it
SDK_TIMEOUT = cdk.Duration.minutes(1)  # createTrainingJob / describeTrainingJob answer in seconds


@dataclass(frozen=True)
class RetrainingProps:
    names: Resources  # buckets, table, group, role, functions, both state machines, alerts topic
    retraining: RetrainingSettings
    settings_env: dict[str, str]  # the user's settings as the function reads them: the gate, the canary plan, the labels (infra/settings_env.py)
    labels_prefix: str  # quality.labels_prefix: a run reads the labels there
    training_prefix: str
    model_prefix: str
    evaluation_prefix: str
    capture_prefix: str
    batch_output_prefix: str


class RetrainingStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: RetrainingProps,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        self.topic = sns.Topic.from_topic_arn(self, "AlertsTopic", alerts_topic_arn(self, props.names))
        self.sagemaker_role_arn = cdk.Arn.format(cdk.ArnComponents(service="iam", region="", resource="role",
                                                                   resource_name=self.names.sagemaker_role_name), self)
        self.function = self._function(props, props.names.data_bucket, props.names.artifact_bucket)
        self.state_machine = self._state_machine(props)
        # Drift alerts (batch) and the quality alarm reach the alerts topic; the function picks its triggers from it.
        self.topic.add_subscription(subscriptions.LambdaSubscription(self.function))
        if props.retraining.schedule:
            self.rule = events.Rule(self, "Schedule", description=f"{props.names.project}: scheduled retraining run.",
                                    schedule=events.Schedule.expression(props.retraining.schedule),
                                    targets=[targets.LambdaFunction(self.function, retry_attempts=2)])
        cdk.CfnOutput(self, "RetrainingStateMachineArn", value=self.state_machine.state_machine_arn)

    def _function(self, props: RetrainingProps, data_bucket: str, artifact_bucket: str) -> lambda_.DockerImageFunction:
        r = props.retraining
        logged = logged_function(
            self, "Retrain", lambda_.DockerImageFunction, function_name=self.names.retraining_function, retention=LOG_RETENTION,
            role_description="Lightship retraining: assemble the dataset, register the trained version, start its canary.",
            description="Lightship retraining: triggers (drift, quality alarm, schedule) and the state machine's tasks.",
            code=lambda_.DockerImageCode.from_image_asset(
                str(REPO_ROOT), file=DOCKERFILE, cmd=[RETRAINING_HANDLER],
                exclude=["*", *(f"!{d}" for d in IMAGE_CONTEXT), "**/__pycache__", "**/*.pyc"], ignore_mode=cdk.IgnoreMode.DOCKER,
            ),
            memory_size=r.memory_mb, timeout=FUNCTION_TIMEOUT,
            tracing=lambda_.Tracing.ACTIVE, architecture=lambda_.Architecture.X86_64,
            environment=function_environment(props.settings_env, props.names, self.account, SERVICE_RETRAINING),
        )
        self._grant(props, logged.role, data_bucket, artifact_bucket)
        return logged.function

    def read_prefixes(self, props: RetrainingProps) -> dict[str, list[str]]:
        """What a run reads, by bucket role: the infra tests assert the grants are exactly these."""
        return {"data": [props.capture_prefix, props.batch_output_prefix, props.labels_prefix, props.training_prefix],
                "artifacts": [props.model_prefix, props.evaluation_prefix]}

    def _grant(self, props: RetrainingProps, role: iam.Role, data_bucket: str, artifact_bucket: str) -> None:
        objects = lambda bucket, prefix: f"arn:{cdk.Aws.PARTITION}:s3:::{bucket}/{prefix.strip('/')}/*"
        reads = self.read_prefixes(props)
        datasets = f"{props.training_prefix.strip('/')}/{props.retraining.datasets_prefix.strip('/')}"
        table_arn = cdk.Arn.format(cdk.ArnComponents(service="dynamodb", resource="table", resource_name=self.names.deployment_table), self)
        package_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="model-package",
                                                       resource_name=f"{props.names.model_package_group}/*"), self)
        group_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="model-package-group",
                                                     resource_name=props.names.model_package_group), self)
        jobs_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="training-job", resource_name=f"{props.names.training_job_prefix}*"), self)
        machines = [cdk.Arn.format(cdk.ArnComponents(service="states", resource="stateMachine", resource_name=name,
                                                     arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME), self)
                    for name in (self.names.retraining_state_machine, self.names.release_state_machine)]
        grant_with_reasons(self, role, [
            (iam.PolicyStatement(sid="ListInputs", actions=["s3:ListBucket"], resources=[f"arn:{cdk.Aws.PARTITION}:s3:::{data_bucket}"],
                                 conditions={"StringLike": {"s3:prefix": [f"{p.strip('/')}/*" for p in reads["data"]]}}), None),
            (iam.PolicyStatement(sid="ReadInputs", actions=["s3:GetObject"], resources=[objects(data_bucket, p) for p in reads["data"]]),
             "A run reads the window's capture files, batch scores and labels (dated keys named by serving, batch runs and "
             "users' pipelines) and the parent's training data (content-addressed keys); read-only."),
            (iam.PolicyStatement(sid="WriteDatasets", actions=["s3:PutObject"], resources=[objects(data_bucket, datasets)]),
             "A run writes its assembled dataset version (data, ids, manifest) under a content-addressed key of the datasets prefix."),
            (iam.PolicyStatement(sid="ReadBundlesAndReports", actions=["s3:GetObject"],
                                 resources=[objects(artifact_bucket, p) for p in reads["artifacts"]]),
             "Registration reads the trained bundle and every version's evaluation report, keyed by training job name; read-only."),
            (iam.PolicyStatement(sid="WriteEvaluationReports", actions=["s3:PutObject"],
                                 resources=[objects(artifact_bucket, props.evaluation_prefix)]),
             "Registration writes the new version's evaluation report (metrics, lineage, gate), keyed by training job name."),
            (iam.PolicyStatement(sid="LedgerAndRecord", actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem",
                                                                 "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"],
                                 resources=[table_arn]), None),
            (iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"]),
             "sagemaker:ListModelPackages supports no resource-level permissions; it lists version ARNs only."),
            (iam.PolicyStatement(sid="RegisterVersions", actions=["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
                                                                  "sagemaker:UpdateModelPackage"],
                                 resources=[group_arn, package_arn]),
             "Model package versions are numbered as they are registered (group/1, group/2, ...); only the project's group."),
            (iam.PolicyStatement(sid="DescribeTrainingJobs", actions=["sagemaker:DescribeTrainingJob"], resources=[jobs_arn]),
             "Training jobs are named {project}-{model}-{time}-{random} as they start; read-only, only the project's jobs."),
            (iam.PolicyStatement(sid="Alert", actions=["sns:Publish"], resources=[alerts_topic_arn(self, props.names)]), None),
            (iam.PolicyStatement(sid="StartRunsAndReleases", actions=["states:StartExecution"], resources=machines), None),
            (iam.PolicyStatement(sid="SeeReleaseExecutions", actions=["states:DescribeExecution"],
                                 resources=[cdk.Arn.format(cdk.ArnComponents(
                                     service="states", resource="execution", resource_name=f"{self.names.release_state_machine}:*",
                                     arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME), self)]),
             ("A retried Release task looks up the release execution its first attempt may have started (named after the "
              "run's release id, not known before the run); only the release machine's executions, read-only.")),
            (iam.PolicyStatement(sid="Tracing", actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
             "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."),
        ])

    def _task(self, id_: str, action: str, result_path: str) -> tasks.LambdaInvoke:
        invoke = tasks.LambdaInvoke(
            self, id_, lambda_function=self.function, payload_response_only=True, retry_on_service_exceptions=True,
            payload=sfn.TaskInput.from_object({"action": action, "state": sfn.JsonPath.object_at("$")}), result_path=result_path,
            task_timeout=sfn.Timeout.duration(TASK_TIMEOUT),
        )
        invoke.add_retry(errors=["RetrainingError"], max_attempts=0)
        invoke.add_retry(errors=[sfn.Errors.ALL], interval=cdk.Duration.seconds(2), max_attempts=TASK_RETRY_ATTEMPTS, backoff_rate=2.0)
        return invoke

    def _state_machine(self, props: RetrainingProps) -> sfn.StateMachine:
        jobs_arn = cdk.Arn.format(cdk.ArnComponents(service="sagemaker", resource="training-job", resource_name=f"{props.names.training_job_prefix}*"), self)
        assemble = self._task("Assemble", "assemble", "$.assembled")
        register = self._task("Register", "register", "$.registered")
        release = self._task("Release", "release", "$.released")
        finish = self._task("Finish", "finish", "$.outcome")
        fail = self._task("Fail", "fail", "$.outcome")
        fail.next(sfn.Fail(self, "RetrainingFailed", error="RetrainingFailed", cause="The retraining run failed; the live version is untouched."))
        start = tasks.CallAwsService(
            self, "StartTraining", service="sagemaker", action="createTrainingJob", iam_resources=[jobs_arn],
            iam_action="sagemaker:CreateTrainingJob", task_timeout=sfn.Timeout.duration(SDK_TIMEOUT),
            # The role is the stack's, not the task input's: a job runs only as the SageMaker execution role this
            # machine may pass (and moto's ASL parser takes a "RoleArn.$" key for the Credentials field).
            parameters={"RoleArn": self.sagemaker_role_arn,
                        **{key: sfn.JsonPath.object_at(f"{JOB}.{key}") if key != "TrainingJobName" else sfn.JsonPath.string_at(f"{JOB}.{key}")
                           for key in ("TrainingJobName", "AlgorithmSpecification", "HyperParameters", "InputDataConfig",
                                       "OutputDataConfig", "ResourceConfig", "StoppingCondition", "Tags")}},
            additional_iam_statements=[
                iam.PolicyStatement(actions=["sagemaker:AddTags"], resources=[jobs_arn]),
                iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.sagemaker_role_arn],
                                    conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
            ],
            result_path=sfn.JsonPath.DISCARD,
        )
        start_polling = sfn.Pass(self, "StartPolling", result=sfn.Result.from_object({"count": 0}), result_path="$.polls")
        wait = sfn.Wait(self, "WaitForTraining", time=sfn.WaitTime.seconds_path("$.poll_seconds"))
        count = sfn.Pass(self, "CountPoll", parameters={"count": sfn.JsonPath.math_add(sfn.JsonPath.number_at("$.polls.count"), 1)},
                         result_path="$.polls")
        describe = tasks.CallAwsService(
            self, "DescribeTraining", service="sagemaker", action="describeTrainingJob", iam_resources=[jobs_arn],
            iam_action="sagemaker:DescribeTrainingJob", task_timeout=sfn.Timeout.duration(SDK_TIMEOUT),
            parameters={"TrainingJobName": sfn.JsonPath.string_at(f"{JOB}.TrainingJobName")},
            result_selector={"status": sfn.JsonPath.string_at("$.TrainingJobStatus")}, result_path="$.training",
        )
        describe.add_retry(errors=[sfn.Errors.ALL], interval=cdk.Duration.seconds(2), max_attempts=TASK_RETRY_ATTEMPTS, backoff_rate=2.0)
        training_failed = sfn.Pass(self, "TrainingFailed", parameters={
            "Error": "TrainingJobFailed",
            "Cause": sfn.JsonPath.format("training job {} ended {}", sfn.JsonPath.string_at(f"{JOB}.TrainingJobName"),
                                         sfn.JsonPath.string_at("$.training.status")),
        }, result_path="$.error").next(fail)
        timed_out = sfn.Pass(self, "TrainingTimedOut", parameters={
            "Error": "TrainingTimedOut",
            "Cause": sfn.JsonPath.format("training job {} still {} after {} looks (retraining.training_timeout_minutes); "
                                         "SageMaker stops it at its own StoppingCondition",
                                         sfn.JsonPath.string_at(f"{JOB}.TrainingJobName"), sfn.JsonPath.string_at("$.training.status"),
                                         sfn.JsonPath.string_at("$.polls.count")),
        }, result_path="$.error").next(fail)
        for state in (assemble, start, describe, register, release, finish):
            state.add_catch(fail, errors=[sfn.Errors.ALL], result_path="$.error")
        done = sfn.Succeed(self, "Done")
        finish.next(done)
        status = "$.training.status"
        running = sfn.Condition.or_(sfn.Condition.string_equals(status, "InProgress"), sfn.Condition.string_equals(status, "Stopping"))
        training_status = (
            sfn.Choice(self, "TrainingStatus")
            .when(sfn.Condition.string_equals(status, "Completed"), register)
            .when(sfn.Condition.and_(running, sfn.Condition.number_greater_than_equals_json_path("$.polls.count", "$.assembled.max_polls")),
                  timed_out)
            .when(running, wait)
            .otherwise(training_failed)
        )
        gate = (sfn.Choice(self, "GateApproved")
                .when(sfn.Condition.boolean_equals("$.registered.approved", True), release.next(finish))
                .otherwise(finish))
        register.next(gate)
        enough = (sfn.Choice(self, "Enough")
                  .when(sfn.Condition.string_equals("$.assembled.verdict", "train"), start.next(start_polling).next(wait).next(count).next(describe).next(training_status))
                  .otherwise(finish))
        definition = assemble.next(enough)
        return logged_state_machine(
            self, name=self.names.retraining_state_machine, definition=definition,
            timeout=cdk.Duration.hours(props.retraining.stale_run_hours), retention=LOG_RETENTION, why={
            "lambda:": "LambdaInvoke grants invoke on the retraining function and its versions/aliases (ARN:*); only this stack's function.",
            "sagemaker:": "Training jobs are named {project}-{model}-{time}-{random} as a run starts them; only the project's jobs.",
        })
