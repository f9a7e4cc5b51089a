"""The quality stack on the emulator: the state machine ``cdk synth`` emits and its function.

:func:`provision_quality` (called by :func:`lightship.local.provision.provision`) takes the
quality stack's synthesized template (:mod:`lightship.local.quality_synth`, cached by
:mod:`lightship.local.synth_cache` like the batch and release stacks'), resolves its references to
the emulator's ARNs, creates the function by the template's name (routed in process to the
handler its image's ``CMD`` names, :mod:`lightship.local.lambda_router`) and the state machine.
``lightship quality run`` then starts it exactly as on AWS (:mod:`lightship.quality.execution`).
"""

from __future__ import annotations

import json
from typing import Any

from lightship.clients import client
from lightship.local import lambda_router, synth_cache
from lightship.local.batch import _placeholder_zip, _role, resolve_references
from lightship.resources import Resources
from lightship.settings import Settings

# The files whose change can change the quality stack's template.
SOURCES = ("infra/stacks/quality.py", "infra/stacks/batch.py", "infra/stacks/alerts.py", "infra/nag.py", "cdk.json")


def synthesized(settings: Settings) -> dict[str, Any]:
    """The quality stack's definition and function, from cache when the stack and settings are unchanged."""
    return synth_cache.synthesized(settings, stack="quality", synth_module="lightship.local.quality_synth", sources=SOURCES)


def provision_quality(settings: Settings, resources: Resources) -> None:
    stack = synthesized(settings)
    region, account = resources.region, resources.account
    functions = stack["functions"]
    refs = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com"}
    arns = {lid: f"arn:aws:lambda:{region}:{account}:function:{f['name']}" for lid, f in functions.items()}
    machine = stack["state_machine"]
    definition = resolve_references(machine["definition"], refs, arns)
    json.loads(definition)  # a definition that is not JSON after resolution is a bug here, not in moto
    client("sns").create_topic(Name=settings.alerts_topic_name)
    role_arn = _role(client("iam"))
    lam = client("lambda")
    existing = {f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}
    for function in functions.values():
        module, _, attribute = function["handler"].rpartition(".")
        lambda_router.register(function["name"], f"{module}:{attribute}")
        if function["name"] not in existing:
            lam.create_function(FunctionName=function["name"], Runtime="python3.12", Role=role_arn, Handler=function["handler"],
                                Code={"ZipFile": _placeholder_zip()}, Timeout=900, MemorySize=settings.quality.memory_mb)
    sfn = client("stepfunctions")
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine['name']}"
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=machine["name"], definition=definition, roleArn=role_arn, type="STANDARD")
