"""The release stack on the emulator: the state machine ``cdk synth`` emits and its function.

:func:`provision_release` (called by :func:`lightship.local.provision.provision`) takes the
release stack's synthesized template (:mod:`lightship.local.release_synth`, cached by
:mod:`lightship.local.synth_cache` like the batch stack's), resolves its references to the emulator's ARNs,
creates the function by the template's name (routed in process to the handler the
template names, :mod:`lightship.local.lambda_router`) and the state machine. Bake times
are real waits on the emulator (moto's Wait waits): tests and the demo set
``release.bake_minutes`` to seconds.
"""

from __future__ import annotations

import json
from typing import Any

from lightship.clients import client
from lightship.local import lambda_router, synth_cache
from lightship.local.batch import _placeholder_zip, _role, resolve_references
from lightship.resources import Resources
from lightship.settings import Settings

SOURCES = ("infra/stacks/release.py", "infra/nag.py", "infra/constructs/python_zip.py", "lightship/monitoring/alarms.py", "cdk.json")


def synthesized(settings: Settings) -> dict[str, Any]:
    """The release stack's definition and function, from cache when the stack and settings are unchanged."""
    return synth_cache.synthesized(settings, stack="release", synth_module="lightship.local.release_synth", sources=SOURCES)


def state_machine_arn(settings: Settings, resources: Resources) -> str:
    return f"arn:aws:states:{resources.region}:{resources.account}:stateMachine:{settings.release_state_machine_name}"


def provision_release(settings: Settings, resources: Resources) -> None:
    stack = synthesized(settings)
    region, account = resources.region, resources.account
    functions = stack["functions"]
    refs = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com"}
    arns = {lid: f"arn:aws:lambda:{region}:{account}:function:{f['name']}" for lid, f in functions.items()}
    machine = stack["state_machine"]
    definition = resolve_references(machine["definition"], refs, arns)
    json.loads(definition)
    role_arn = _role(client("iam"))
    lam = client("lambda")
    existing = {f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}
    for function in functions.values():
        module, _, attribute = function["handler"].rpartition(".")
        lambda_router.register(function["name"], f"{module}:{attribute}")
        if function["name"] not in existing:
            lam.create_function(FunctionName=function["name"], Runtime="python3.12", Role=role_arn, Handler=function["handler"],
                                Code={"ZipFile": _placeholder_zip()}, Timeout=60, MemorySize=settings.release.memory_mb)
    sfn = client("stepfunctions")
    arn = state_machine_arn(settings, resources)
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=machine["name"], definition=definition, roleArn=role_arn, type="STANDARD")
