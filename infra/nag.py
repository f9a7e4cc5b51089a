"""Helpers for cdk-nag 3 acknowledgements, shared by every stack.

cdk-nag names a finding on a wildcard by the flattened resource, e.g.
``AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::name-<AWS::AccountId>/prefix/*]``,
and only that exact id acknowledges it. The stacks compute those ids here from the same ARN
they grant, so an id can never drift from the policy, whether the stack is
environment-agnostic (tokens) or pinned to an account and region (literals).
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

ACK_REASON_MIN_LENGTH = 20


def flatten_cfn_reference(node: Any) -> str:
    """A Python port of cdk-nag's ``flattenCfnReference`` (utils/flatten-cfn-reference.ts, cdk-nag 3.0)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(flatten_cfn_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_cfn_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_cfn_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_cfn_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def resource_finding(scope: IConstruct, arn: str) -> str:
    """The bracketed part cdk-nag gives a wildcard resource ``arn`` granted in ``scope``'s stack."""
    return f"Resource::{flatten_cfn_reference(cdk.Stack.of(scope).resolve(arn))}"


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Record a justified exception to ``rule_id`` on ``construct``; refuses a reason that says nothing."""
    if len(reason.strip()) < ACK_REASON_MIN_LENGTH:
        raise ValueError(f"acknowledgement of {rule_id} needs a concrete reason, got {reason!r}")
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def grant_with_reasons(scope: IConstruct, role: Any, statements: list[tuple[Any, str | None]]) -> None:
    """Add ``(statement, reason)`` pairs to ``role``'s policy; every wildcard resource must carry a reason,
    which becomes the acknowledgement of its exact ``AwsSolutions-IAM5[...]`` finding."""
    reasons: dict[str, list[str]] = {}
    for statement, reason in statements:
        role.add_to_principal_policy(statement)
        for resource in statement.resources:
            finding = resource_finding(scope, resource)
            if "*" not in finding:
                continue
            if reason is None:
                raise KeyError(f"statement {statement.sid} grants wildcard {finding} without a reason")
            reasons.setdefault(finding, []).append(reason)
    policy = role.node.find_child("DefaultPolicy")
    for finding, why in reasons.items():
        acknowledge(policy, f"AwsSolutions-IAM5[{finding}]", " ".join(why))


MACHINE_POLICIES = ("Role/DefaultPolicy",)


def acknowledge_machine_wildcards(stack: Any, machine: Any, why: dict[str, str], policies: tuple[str, ...] = MACHINE_POLICIES) -> None:
    """A state machine's CDK-generated policies (``policies``: paths under the machine, e.g. a Distributed Map's
    ``DistributedMapPolicy``): each wildcard resource acknowledged with the reason for its statement's first action
    (``why`` maps an action prefix such as ``"lambda:"`` to the reason), computed from the resolved policy so ids cannot drift."""
    from aws_cdk import aws_iam as iam

    for path in policies:
        policy = machine
        for part in path.split("/"):
            policy = policy.node.try_find_child(part) if policy is not None else None
        if not isinstance(policy, iam.Policy):
            continue
        reasons: dict[str, list[str]] = {}
        for statement in stack.resolve(policy.document.to_json())["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                flat = flatten_cfn_reference(resource)
                if "*" in flat:
                    reasons.setdefault(f"Resource::{flat}", []).append(next(v for k, v in why.items() if actions[0].startswith(k)))
        for finding, texts in reasons.items():
            acknowledge(policy, f"AwsSolutions-IAM5[{finding}]", " ".join(dict.fromkeys(texts)))
