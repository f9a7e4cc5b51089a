"""The names of the deployed (or emulated) resources, derived from the settings and the account.

One function builds them for the CLI, the local emulator and the tests; the stacks
derive the same names from the same :class:`~lightship.settings.Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightship.settings import Settings


@dataclass(frozen=True)
class Resources:
    account: str
    region: str
    data_bucket: str
    artifact_bucket: str
    access_log_bucket: str
    deployment_table: str
    model_package_group: str
    sagemaker_role_arn: str


def resources_for(settings: Settings, account: str) -> Resources:
    return Resources(
        account=account,
        region=settings.region,
        data_bucket=settings.data_bucket_name(account),
        artifact_bucket=settings.artifact_bucket_name(account),
        access_log_bucket=settings.access_log_bucket_name(account),
        deployment_table=settings.deployment_table_name,
        model_package_group=settings.model_package_group,
        sagemaker_role_arn=f"arn:aws:iam::{account}:role/{settings.sagemaker_execution_role_name}",
    )
