"""``BatchStack``: scheduled batch scoring and drift checks on Step Functions.

The state machine (name ``Resources.batch_state_machine`` (lightship/resources.py))::

    ResolveLiveModel -> PlanChunks -> ChooseMapMode
        -> ScoreChunks (Map, INLINE, MaxConcurrency from settings)           plan <= threshold
        -> ScoreChunksDistributed (Distributed Map over the plan in S3)      plan >  threshold
    -> MergeDriftReport -> DriftOverThreshold? -> PublishAlert (SNS) -> Done
    any failure (after retries) -> NotifyFailure (SNS) -> BatchRunFailed (Fail)

Four functions from one container image (``lambdas/batch_image/Dockerfile``: pandas,
pyarrow and awswrangler do not fit a zip), each with its own role (least privilege per
step), log group and X-Ray tracing; an EventBridge rule starts the machine on
``settings.batch.schedule``. Built by :func:`infra.app_builder.build_app`; the local
emulator runs the very definition this stack synthesizes (``lightship/local/state_machines.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.logged_function import logged_function
from infra.constructs.logged_state_machine import logged_state_machine
from infra.nag import acknowledge, resource_finding
from infra.settings_env import function_environment
from infra.stacks.alerts import alerts_topic_arn
from lightship.observability import SERVICE_BATCH
from lightship.resources import Resources
from lightship.settings import BatchSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "lambdas/batch_image/Dockerfile"
# The image is built from the repository root; only these folders go into its context.
IMAGE_CONTEXT = ["lightship", "batch", "lambdas"]

# step -> handler module; function name: lightship.resources.Names.batch_function
STEPS = {
    "resolve": "lambdas.batch_resolve.handler.handler",
    "plan": "lambdas.batch_plan.handler.handler",
    "score_chunk": "lambdas.batch_score_chunk.handler.handler",
    "finalize": "lambdas.batch_finalize.handler.handler",
}
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
# Chunk retries: a transient failure (throttling, a slow S3 read) gets two more tries.
CHUNK_RETRY_INTERVAL = cdk.Duration.seconds(1)
CHUNK_RETRY_ATTEMPTS = 2


@dataclass(frozen=True)
class BatchProps:
    names: Resources  # buckets, table, state machine, functions, alerts topic
    batch: BatchSettings
    settings_env: dict[str, str]  # the user's settings as the steps read them (infra/settings_env.py)
    model_prefix: str
    batch_input_prefix: str
    batch_output_prefix: str
    batch_rejects_prefix: str
    batch_report_prefix: str


class BatchStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: BatchProps,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        data = s3.Bucket.from_bucket_name(self, "DataBucket", props.names.data_bucket)
        artifacts = s3.Bucket.from_bucket_name(self, "ArtifactBucket", props.names.artifact_bucket)
        self.topic = sns.Topic.from_topic_arn(self, "AlertsTopic", alerts_topic_arn(self, props.names))
        table_arn = cdk.Arn.format(
            cdk.ArnComponents(service="dynamodb", resource="table", resource_name=self.names.deployment_table), self
        )

        prefix = {
            "input": props.batch_input_prefix.strip("/"),
            "output": props.batch_output_prefix.strip("/"),
            "rejects": props.batch_rejects_prefix.strip("/"),
            "reports": props.batch_report_prefix.strip("/"),
            "models": props.model_prefix.strip("/"),
        }
        # The user's settings and every resolved name: a step reads them at cold start, with no cdk.json.
        environment = function_environment(props.settings_env, props.names, self.account, SERVICE_BATCH)
        code_dir = str(REPO_ROOT)
        self.functions: dict[str, lambda_.DockerImageFunction] = {}
        for step, handler in STEPS.items():
            self.functions[step] = self._function(step, handler, code_dir, environment, props)

        # Least privilege per step: what each one reads and writes, by prefix.
        s3_read = lambda bucket, p: bucket.arn_for_objects(f"{p}/*")
        self._grant("resolve", [("ReadDeploymentRecord", ["dynamodb:GetItem"], [table_arn], None)])
        self._grant("plan", [
            ("ReadModel", ["s3:GetObject"], [s3_read(artifacts, prefix["models"])], "reads the live model bundle (key holds the training job name)"),
            ("ListInput", ["s3:ListBucket"], [data.bucket_arn], None, {"StringLike": {"s3:prefix": [f"{prefix['input']}/*"]}}),
            # GetObjectVersion: reads (and quarantine copies) ask for the version the plan pins.
            ("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [s3_read(data, prefix["input"])],
             "reads any input file of the day (names chosen by whoever drops them)"),
            ("QuarantineAndPlan", ["s3:PutObject"], [s3_read(data, prefix["rejects"]), s3_read(data, prefix["reports"])],
             "writes quarantined files and the run's plan under date- and run-specific keys"),
        ])
        self._grant("score_chunk", [
            ("ReadModel", ["s3:GetObject"], [s3_read(artifacts, prefix["models"])], "reads the live model bundle (key holds the training job name)"),
            ("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [s3_read(data, prefix["input"])],
             "reads the pinned version of its chunk's input file (names chosen by whoever drops them)"),
            ("WriteScores", ["s3:PutObject", "s3:AbortMultipartUpload"],
             [s3_read(data, prefix["output"]), s3_read(data, prefix["rejects"]), s3_read(data, prefix["reports"])],
             "writes its part of scores and rejects and its drift sketch under date- and chunk-specific keys"),
        ])
        self._grant("finalize", [
            ("ReadModel", ["s3:GetObject"], [s3_read(artifacts, prefix["models"])], "reads the live model bundle's baseline profile"),
            ("ListRunOutputs", ["s3:ListBucket"], [data.bucket_arn], None,
             {"StringLike": {"s3:prefix": [f"{prefix['output']}/*", f"{prefix['rejects']}/*", f"{prefix['reports']}/*"]}}),
            ("ReadRun", ["s3:GetObject"], [s3_read(data, prefix["reports"])], "reads the run's plan and chunk results (run-specific keys)"),
            ("ReadScores", ["s3:GetObject"], [s3_read(data, prefix["output"])],
             "reads two columns of the day's score parts (date-specific keys) for the CBPE quality estimate"),
            ("CheckInputPinned", ["s3:GetObject"], [s3_read(data, prefix["input"])],
             "checks (HEAD) that each input file of the run is still the version the plan pinned"),
            ("WriteReport", ["s3:PutObject", "s3:DeleteObject"],
             [s3_read(data, prefix["reports"]), s3_read(data, prefix["output"]), s3_read(data, prefix["rejects"])],
             "writes report and manifest and removes parts an earlier run of the same date left (date-specific keys)"),
        ])
        self.state_machine = self._state_machine(props, data, prefix)
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"{props.names.project}: score the previous day's batch input.",
            schedule=events.Schedule.expression(props.batch.schedule),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object({"time": events.EventField.time}),
                    retry_attempts=2,
                )
            ],
        )
        cdk.CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn,
                      description="Batch scoring state machine; start it with {\"date\": \"YYYY-MM-DD\"}.")

    # -- pieces ---------------------------------------------------------------------------

    def _function(self, step: str, handler: str, code_dir: str, environment: dict[str, str], props: BatchProps) -> lambda_.DockerImageFunction:
        return logged_function(
            self,
            _camel(step),
            lambda_.DockerImageFunction,
            function_name=self.names.batch_function(step),
            role_description=f"Lightship batch step {step}: only what this step reads and writes.",
            retention=LOG_RETENTION,
            description=f"Lightship batch: {step.replace('_', ' ')}.",
            code=lambda_.DockerImageCode.from_image_asset(
                code_dir,
                file=DOCKERFILE,
                cmd=[handler],
                exclude=["*", *(f"!{d}" for d in IMAGE_CONTEXT), "**/__pycache__", "**/*.pyc"],
                ignore_mode=cdk.IgnoreMode.DOCKER,
            ),
            memory_size=props.batch.memory_mb if step in ("score_chunk", "finalize", "plan") else 512,
            timeout=cdk.Duration.seconds(props.batch.timeout_seconds if step != "resolve" else 60),
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            architecture=lambda_.Architecture.X86_64,
        ).function

    def _grant(self, step: str, statements: list[tuple[Any, ...]]) -> None:
        """Add each (sid, actions, resources, reason-if-wildcard[, conditions]) to the step's role;
        wildcard resources are acknowledged to cdk-nag with that reason, and refused without one."""
        role = self.functions[step].role
        assert role is not None
        reasons: dict[str, list[str]] = {}
        for sid, actions, resources, reason, *conditions in statements:
            role.add_to_principal_policy(
                iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions[0] if conditions else None)
            )
            for resource in resources:
                finding = resource_finding(self, resource)
                if "*" in finding:
                    if reason is None:
                        raise KeyError(f"{step}: statement {sid} grants wildcard {finding} without a reason")
                    reasons.setdefault(finding, []).append(f"Batch {step.replace('_', ' ')} {reason}.")
        reasons.setdefault("Resource::*", []).append(
            "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."
        )
        policy = role.node.find_child("DefaultPolicy")
        for finding, why in reasons.items():
            acknowledge(policy, f"AwsSolutions-IAM5[{finding}]", " ".join(dict.fromkeys(why)))

    def _state_machine(self, props: BatchProps, data: s3.IBucket, prefix: dict[str, str]) -> sfn.StateMachine:
        fns = self.functions
        notify_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=self.topic,
            subject=f"{props.names.project} batch run failed",
            message=sfn.TaskInput.from_json_path_at("States.Format('Batch run {} failed: {}', $$.Execution.Name, $.error.Cause)"),
            result_path=sfn.JsonPath.DISCARD,
        )
        failed = sfn.Fail(self, "BatchRunFailed", error_path="$.error.Error", cause_path="$.error.Cause")
        on_failure = notify_failure.next(failed)

        def invoke(id_: str, step: str, payload: dict[str, Any], result_path: str | None) -> tasks.LambdaInvoke:
            task = tasks.LambdaInvoke(
                self,
                id_,
                lambda_function=fns[step],
                payload=sfn.TaskInput.from_object(payload),
                payload_response_only=True,
                result_path=result_path,
                retry_on_service_exceptions=True,
            )
            return task

        resolve = invoke("ResolveLiveModel", "resolve",
                         {"request": sfn.JsonPath.object_at("$"), "run_id": sfn.JsonPath.string_at("$$.Execution.Name")}, "$")
        plan = invoke("PlanChunks", "plan", {"run": sfn.JsonPath.object_at("$.run")}, "$.plan")
        chunk_input = {"run": sfn.JsonPath.object_at("$.run"), "chunk": sfn.JsonPath.object_at("$$.Map.Item.Value")}

        def score(id_: str) -> tasks.LambdaInvoke:
            task = tasks.LambdaInvoke(self, id_, lambda_function=fns["score_chunk"], payload_response_only=True,
                                      retry_on_service_exceptions=True)
            # Any chunk failure is retried with backoff; if it persists the Map fails and so does the run.
            task.add_retry(errors=[sfn.Errors.ALL], interval=CHUNK_RETRY_INTERVAL, max_attempts=CHUNK_RETRY_ATTEMPTS,
                           backoff_rate=2.0, jitter_strategy=sfn.JitterType.FULL)
            return task

        inline = sfn.Map(
            self, "ScoreChunks", items_path="$.plan.chunks", max_concurrency=props.batch.map_concurrency,
            item_selector=chunk_input, result_path=sfn.JsonPath.DISCARD,
        )
        inline.item_processor(score("ScoreChunk"))
        distributed = sfn.DistributedMap(
            self, "ScoreChunksDistributed",
            item_reader=sfn.S3JsonItemReader(bucket=data, key=sfn.JsonPath.string_at("$.plan.plan_key")),
            max_concurrency=props.batch.map_concurrency,
            item_selector=chunk_input, result_path=sfn.JsonPath.DISCARD,
            map_execution_type=sfn.StateMachineType.STANDARD,
        )
        distributed.item_processor(score("ScoreChunkDistributed"))
        finalize = invoke("MergeDriftReport", "finalize",
                          {"run": sfn.JsonPath.object_at("$.run"), "plan": sfn.JsonPath.object_at("$.plan")}, "$.result")
        publish = tasks.SnsPublish(
            self, "PublishAlert", topic=self.topic,
            subject=sfn.JsonPath.string_at("$.result.subject"),
            message=sfn.TaskInput.from_json_path_at("$.result.message"),
            result_path=sfn.JsonPath.DISCARD,
        )
        done = sfn.Succeed(self, "Done")
        for state in (resolve, plan, inline, distributed, finalize, publish):
            state.add_catch(on_failure, errors=[sfn.Errors.ALL], result_path="$.error")
        alert = sfn.Choice(self, "DriftOverThreshold").when(
            sfn.Condition.boolean_equals("$.result.alert", True), publish.next(done)
        ).otherwise(done)
        finalize.next(alert)
        mode = sfn.Choice(self, "ChooseMapMode").when(
            sfn.Condition.string_equals("$.plan.mode", "distributed"), distributed.next(finalize)
        ).otherwise(inline.next(finalize))
        definition = resolve.next(plan).next(mode)

        return logged_state_machine(self, name=self.names.batch_state_machine, definition=definition, timeout=cdk.Duration.hours(6),
                                    retention=LOG_RETENTION, policies=("Role/DefaultPolicy", "DistributedMapPolicy"), why={
            "lambda:": "LambdaInvoke grants invoke on the batch functions and their versions/aliases (ARN:*); "
                       "only this stack's four functions.",
            "s3:": "The Distributed Map's S3 item reader reads the run's plan (a run-specific key under the reports "
                   "prefix); CDK scopes that grant to the data bucket's objects, read-only, for a role that runs no code.",
            "states:": "Distributed Map child executions of this state machine, named by Step Functions at run time.",
        })


def _camel(step: str) -> str:
    return "".join(part.capitalize() for part in step.split("_"))
