"""Create, on the emulator, the resources the CDK stacks define, from their synthesized templates.

Every resource the emulator can hold comes from ``cdk synth``'s templates
(:mod:`lightship.local.from_templates`, alarms included), then each stack's state machine
(:mod:`lightship.local.state_machines`).
Safe to run twice. Called by ``lightship local up``, the demo and the integration tests'
fixtures. ``_model_package_group`` and ``_deployment_table`` serve the unit tests' in-process
worlds (tests/support/record_world.py), which run no synth.
"""

from __future__ import annotations

from typing import Any

from lightship.local.from_templates import provision_from_templates
from lightship.local.stack_templates import resources_of
from lightship.local.state_machines import provision_state_machine
from lightship.resources import Resources
from lightship.settings import Settings


def provision(settings: Settings, resources: Resources) -> None:
    stacks = provision_from_templates(settings, resources)  # buckets, table, roles, log groups, topics, functions, alarms
    for stack in stacks.values():
        if resources_of(stack.template, "AWS::StepFunctions::StateMachine"):
            provision_state_machine(stack)  # batch, release, quality, retraining: the synthesized definitions


def _model_package_group(sagemaker: Any, name: str) -> None:
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=name)
    except Exception:  # noqa: BLE001 - moto and AWS differ in the "not found" error type
        sagemaker.create_model_package_group(
            ModelPackageGroupName=name, ModelPackageGroupDescription="Lightship model versions"
        )


def _deployment_table(dynamodb: Any, name: str) -> None:
    try:
        dynamodb.describe_table(TableName=name)
        return
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True},
    )
