"""The names of the deployed (or emulated) resources: resolved here, once, from the settings.

Every name a stack gives a resource, and every name the code uses to find one, comes
from :func:`resources_for`: the CDK stacks (with their account and region tokens), the
Lambda handlers (account from the function's ARN or ``LIGHTSHIP_ACCOUNT``), the CLI,
the serving runtime, the batch steps and the local emulator. What a user may override
(a bucket, the table, the SageMaker role) is a field of :class:`~lightship.settings.Settings`;
what is derived from the project name is derived only here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from lightship.settings import Settings


@dataclass(frozen=True)
class Names:
    """The names that need only the settings (no account or region): functions, state machines, topics, table."""

    project: str
    deployment_table: str
    model_package_group: str
    sagemaker_role_name: str
    serving_function: str
    rollback_function: str
    release_function: str
    quality_function: str
    retraining_function: str
    batch_state_machine: str
    release_state_machine: str
    quality_state_machine: str
    retraining_state_machine: str
    serving_api: str  # the HTTP API in front of the serving function
    serving_access_log_group: str  # the API's access logs
    dashboard: str  # the live model's CloudWatch dashboard
    alerts_topic: str
    rollback_topic: str
    # The alarms other code finds by name (every alarm is defined in lightship.monitoring.alarms).
    serving_error_alarm: str
    candidate_error_alarm: str
    quality_alarm: str

    def stack(self, concern: str) -> str:
        """The CloudFormation stack of one concern (``storage``, ``batch``, ...): ``cdk deploy {project}-batch``."""
        return f"{self.project}-{concern}"

    def batch_function(self, step: str) -> str:
        """The function of one batch step (``resolve``, ``plan``, ``score_chunk``, ``finalize``)."""
        return f"{self.project}-batch-{step.replace('_', '-')}"

    @staticmethod
    def function_log_group(function: str) -> str:
        """The log group Lambda writes a function's logs to (the stacks create it, to set its retention)."""
        return f"/aws/lambda/{function}"

    @staticmethod
    def state_machine_log_group(state_machine: str) -> str:
        """The log group a state machine logs its executions to (``vendedlogs``: the prefix CloudWatch Logs
        lets a state machine's log delivery write to without a resource policy per group)."""
        return f"/aws/vendedlogs/states/{state_machine}"

    @property
    def training_job_prefix(self) -> str:
        """What every training job the project starts is named with (training and retraining alike):
        the roles that start and read jobs are granted ``training-job/{training_job_prefix}*``."""
        return f"{self.project}-"

    def training_job_name(self, model: str, stamp: str, suffix: str, *, retraining: bool = False) -> str:
        """A training job's name: ``{project}-[rt-]{model}-{stamp}-{suffix}`` (a retraining run's jobs carry
        ``rt-``), in SageMaker's alphabet (letters, digits, hyphens) and length (63); cut there, it does not end
        in a hyphen (SageMaker refuses that)."""
        origin = "rt-" if retraining else ""
        name = f"{self.training_job_prefix}{origin}{model.replace('_', '-')}-{stamp}-{suffix}"
        return re.sub(r"[^a-zA-Z0-9-]", "-", name)[:63].rstrip("-")


@dataclass(frozen=True)
class Resources(Names):
    """Every name, with the buckets and ARNs that embed the account and region."""

    account: str
    region: str
    data_bucket: str
    artifact_bucket: str
    access_log_bucket: str
    partition: str = "aws"

    @property
    def sagemaker_role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{self.sagemaker_role_name}"

    def state_machine_arn(self, name: str) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:stateMachine:{name}"

    def execution_arn(self, state_machine: str, execution: str) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:execution:{state_machine}:{execution}"

    def topic_arn(self, name: str) -> str:
        return f"arn:{self.partition}:sns:{self.region}:{self.account}:{name}"

    @property
    def alerts_topic_arn(self) -> str:
        return self.topic_arn(self.alerts_topic)

    @property
    def rollback_topic_arn(self) -> str:
        return self.topic_arn(self.rollback_topic)


def names_for(settings: Settings) -> Names:
    """The names that need no account: what a user set (table, role), else derived from the project."""
    project = settings.project
    return Names(
        project=project,
        deployment_table=settings.deployment_table or f"{project}-deployments",
        model_package_group=settings.model_package_group,
        sagemaker_role_name=settings.sagemaker_role_name or f"{project}-sagemaker-execution",
        serving_function=f"{project}-serving",
        rollback_function=f"{project}-rollback",
        release_function=f"{project}-release-step",
        quality_function=f"{project}-quality-measure",
        retraining_function=f"{project}-retraining-step",
        batch_state_machine=f"{project}-batch-scoring",
        release_state_machine=f"{project}-release",
        quality_state_machine=f"{project}-quality",
        retraining_state_machine=f"{project}-retraining",
        serving_api=f"{project}-serving",
        serving_access_log_group=f"/aws/apigateway/{project}-serving",
        dashboard=f"{project}-live-model",
        alerts_topic=f"{project}-alerts",
        rollback_topic=f"{project}-rollback",
        serving_error_alarm=f"{project}-serving-error-rate",
        candidate_error_alarm=f"{project}-candidate-error-rate",
        quality_alarm=f"{project}-quality-realized",
    )


def resources_for(settings: Settings, account: str, *, region: str | None = None, partition: str = "aws") -> Resources:
    """Every resource name for ``settings`` in ``account``; ``region`` defaults to the settings' own
    (a stack passes its ``AWS::Region`` token, a handler the region of its own ARN)."""
    project = settings.project
    where = region or settings.region
    return Resources(
        **asdict(names_for(settings)),
        account=account,
        region=where,
        data_bucket=settings.data_bucket or f"{project}-data-{account}-{where}",
        artifact_bucket=settings.artifact_bucket or f"{project}-artifacts-{account}-{where}",
        access_log_bucket=f"{project}-access-logs-{account}-{where}",
        partition=partition,
    )


def resources_of_function(settings: Settings, function_arn: str) -> Resources:
    """The names a Lambda function uses: its own partition, region and account
    (``arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME``), unless ``settings.account`` pins the account."""
    parts = function_arn.split(":")
    return resources_for(settings, settings.account or parts[4], region=parts[3], partition=parts[1])


def current_resources(settings: Settings) -> Resources:
    """The names for this process's credentials: ``settings.account`` when set, else the caller's account (STS)."""
    from lightship.clients import account_id  # boto3 stays off the import of this module (stacks, alarm specs)

    return resources_for(settings, settings.account or account_id())


def resolved_settings(settings: Settings, resources: Resources) -> dict[str, Any]:
    """The settings with every derived name filled in, as ``lightship config`` prints them."""
    data = settings.model_dump(mode="json")
    data.update(
        account=resources.account,
        region=resources.region,
        data_bucket=resources.data_bucket,
        artifact_bucket=resources.artifact_bucket,
        access_log_bucket=resources.access_log_bucket,
        deployment_table=resources.deployment_table,
        sagemaker_role_name=resources.sagemaker_role_name,
        serving_function_name=resources.serving_function,
        batch_state_machine_name=resources.batch_state_machine,
        alerts_topic_name=resources.alerts_topic,
        rollback_topic_name=resources.rollback_topic,
        rollback_function_name=resources.rollback_function,
        release_state_machine_name=resources.release_state_machine,
        release_function_name=resources.release_function,
        quality_state_machine_name=resources.quality_state_machine,
        quality_function_name=resources.quality_function,
        retraining_state_machine_name=resources.retraining_state_machine,
        retraining_function_name=resources.retraining_function,
    )
    return data
