"""The batch stack on the emulator: the state machine ``cdk synth`` emits, its functions, its topic.

:func:`provision_batch` (called by :func:`lightship.local.provision.provision`) takes the batch
stack's synthesized template (:mod:`lightship.local.batch_synth`, cached by
:mod:`lightship.local.synth_cache`, since a synth costs seconds),
resolves the CloudFormation references in its ``DefinitionString`` to the emulator's ARNs,
and creates the state machine and the functions by the template's names. moto's Lambda
cannot run code without Docker, so each function is routed to the handler its image's
``CMD`` names (:mod:`lightship.local.lambda_router`); what a handler prints goes to the
function's CloudWatch log group on the emulator, as Lambda would send it
(:mod:`lightship.local.function_logs`). No second
orchestrator: the emulator executes the synthesized definition itself.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from lightship.clients import client
from lightship.errors import LightshipError
from lightship.local import lambda_router, synth_cache
from lightship.resources import Resources
from lightship.settings import Settings

# The files whose change can change the batch stack's template.
SOURCES = ("infra/stacks/batch.py", "infra/stacks/alerts.py", "infra/nag.py", "cdk.json")
ROLE_NAME = "lightship-local-batch"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ],
}


def synthesized(settings: Settings) -> dict[str, Any]:
    """The batch stack's definition and functions, from cache when the stack and settings are unchanged."""
    return synth_cache.synthesized(settings, stack="batch", synth_module="lightship.local.batch_synth", sources=SOURCES)


def resolve_references(node: Any, refs: dict[str, str], arns: dict[str, str]) -> Any:
    """Evaluate the intrinsic functions CDK puts in a definition (Join, Ref, GetAtt Arn, Select, Split)."""
    if isinstance(node, list):
        return [resolve_references(n, refs, arns) for n in node]
    if not isinstance(node, dict):
        return node
    if "Fn::Join" in node:
        delimiter, parts = node["Fn::Join"]
        return delimiter.join(str(resolve_references(p, refs, arns)) for p in parts)
    if "Ref" in node:
        name = node["Ref"]
        if name not in refs:
            raise LightshipError(f"the batch definition refers to {name}, which the emulator does not know")
        return refs[name]
    if "Fn::GetAtt" in node:
        logical_id, attribute = node["Fn::GetAtt"]
        if attribute != "Arn" or logical_id not in arns:
            raise LightshipError(f"the batch definition reads {logical_id}.{attribute}, which the emulator does not know")
        return arns[logical_id]
    if "Fn::Select" in node:
        index, values = node["Fn::Select"]
        return resolve_references(values, refs, arns)[int(index)]
    if "Fn::Split" in node:
        delimiter, value = node["Fn::Split"]
        return str(resolve_references(value, refs, arns)).split(delimiter)
    return {k: resolve_references(v, refs, arns) for k, v in node.items()}


def local_definition(settings: Settings, resources: Resources) -> tuple[str, str, dict[str, dict[str, Any]]]:
    """(state machine name, definition JSON with the emulator's ARNs, functions by logical id)."""
    stack = synthesized(settings)
    region, account = resources.region, resources.account
    functions = stack["functions"]
    refs = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com"}
    arns = {lid: f"arn:aws:lambda:{region}:{account}:function:{f['name']}" for lid, f in functions.items()}
    machine = stack["state_machine"]
    refs[machine["logical_id"]] = f"arn:aws:states:{region}:{account}:stateMachine:{machine['name']}"
    definition = resolve_references(machine["definition"], refs, arns)
    json.loads(definition)  # a definition that is not JSON after resolution is a bug here, not in moto
    return machine["name"], definition, functions


def provision_batch(settings: Settings, resources: Resources) -> None:
    name, definition, functions = local_definition(settings, resources)
    client("sns").create_topic(Name=settings.alerts_topic_name)
    role_arn = _role(client("iam"))
    lam = client("lambda")
    existing = {f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]}
    for function in functions.values():
        module, _, attribute = function["handler"].rpartition(".")
        lambda_router.register(function["name"], f"{module}:{attribute}")
        if function["name"] not in existing:
            lam.create_function(
                FunctionName=function["name"], Runtime="python3.12", Role=role_arn, Handler=function["handler"],
                Code={"ZipFile": _placeholder_zip()}, Timeout=900, MemorySize=3008,
            )
    sfn = client("stepfunctions")
    arn = f"arn:aws:states:{resources.region}:{resources.account}:stateMachine:{name}"
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=name, definition=definition, roleArn=role_arn, type="STANDARD")


def _role(iam: Any) -> str:
    try:
        return str(iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "The emulator runs this function's handler in process (lightship.local.lambda_router).")
    return buffer.getvalue()
