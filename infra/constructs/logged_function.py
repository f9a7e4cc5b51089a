"""``logged_function``: a Lambda function with its own log group and its own role, as every stack makes one.

Each function of the stacks (serving, rollback, release, quality, retraining, the batch steps) gets
a log group named as Lambda names it (:meth:`lightship.resources.Names.function_log_group`), created
by the stack so it has a retention and outlives the stack; a role of its own that may write to that
group and nothing else yet (the stack grants the rest); and the function, writing there. The
constructs are added to ``scope`` itself (``{id}Logs``, ``{id}Role``, ``{id}Function``), not under a
construct of their own, so their logical ids are the ones the stacks always had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from lightship.resources import Names

F = TypeVar("F", bound=lambda_.Function)


@dataclass(frozen=True)
class LoggedFunction(Generic[F]):
    function: F
    role: iam.Role
    log_group: logs.LogGroup


def logged_function(
    scope: Construct,
    id_: str,
    kind: Callable[..., F],
    *,
    function_name: str,
    role_description: str,
    retention: logs.RetentionDays,
    **function_props: Any,
) -> LoggedFunction[F]:
    """Make ``kind`` (``lambda_.Function``, ``lambda_.DockerImageFunction``) named ``function_name`` with
    ``function_props``, its log group (``retention``, retained on deletion) and its role, which may write
    the function's logs (statement ``WriteOwnLogs``: in the role's policy after the one CDK adds for X-Ray tracing,
    before the stack's own grants)."""
    log_group = logs.LogGroup(scope, f"{id_}Logs", log_group_name=Names.function_log_group(function_name), retention=retention,
                              removal_policy=cdk.RemovalPolicy.RETAIN)
    role = iam.Role(scope, f"{id_}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=role_description)
    function = kind(scope, f"{id_}Function", function_name=function_name, role=role, log_group=log_group, **function_props)
    role.add_to_principal_policy(iam.PolicyStatement(sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                                     resources=[log_group.log_group_arn]))
    return LoggedFunction(function=function, role=role, log_group=log_group)
