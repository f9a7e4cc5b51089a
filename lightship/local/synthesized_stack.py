"""A stack's state machine and functions on the emulator, exactly as ``cdk synth`` emits them.

:func:`provision_stack` takes a stack's synthesized template (:mod:`lightship.local.stack_synth`,
cached by :mod:`lightship.local.synth_cache`), resolves its references to the emulator's ARNs,
creates each function by the template's name (routed in process to the handler the template
names, :mod:`lightship.local.lambda_router`) and the state machine. The release, quality and
retraining stacks are provisioned through here (:mod:`lightship.local.release`, ``quality``, ``retraining``).
"""

from __future__ import annotations

import json
from typing import Any

from lightship.clients import client
from lightship.local import lambda_router, synth_cache
from lightship.local.batch import _placeholder_zip, _role, resolve_references
from lightship.resources import Resources
from lightship.settings import Settings


def synthesized(settings: Settings, *, concern: str, stack_class: str, sources: tuple[str, ...]) -> dict[str, Any]:
    """The stack's definition and functions, from cache when ``sources`` and the settings are unchanged."""
    return synth_cache.synthesized(settings, stack=concern, synth_module="lightship.local.stack_synth", sources=sources,
                                   args=(stack_class, concern))


def provision_stack(settings: Settings, resources: Resources, stack: dict[str, Any], *, timeout: int, memory_mb: int) -> str:
    """Create (or update) the stack's functions and state machine on the emulator; returns the machine's ARN."""
    region, account = resources.region, resources.account
    functions = stack["functions"]
    refs = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com"}
    arns = {lid: f"arn:aws:lambda:{region}:{account}:function:{f['name']}" for lid, f in functions.items()}
    machine = stack["state_machine"]
    definition = resolve_references(machine["definition"], refs, arns)
    json.loads(definition)  # a definition that is not JSON after resolution is a bug here, not in moto
    role_arn = _role(client("iam"))
    lam = client("lambda")
    existing = {f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}
    for function in functions.values():
        module, _, attribute = function["handler"].rpartition(".")
        lambda_router.register(function["name"], f"{module}:{attribute}")
        if function["name"] not in existing:
            lam.create_function(FunctionName=function["name"], Runtime="python3.12", Role=role_arn, Handler=function["handler"],
                                Code={"ZipFile": _placeholder_zip()}, Timeout=timeout, MemorySize=memory_mb)
    sfn = client("stepfunctions")
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine['name']}"
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=machine["name"], definition=definition, roleArn=role_arn, type="STANDARD")
    return arn
