"""A stack's state machine on the emulator, exactly as its synthesized template defines it.

:func:`provision_state_machine` takes the one ``AWS::StepFunctions::StateMachine`` of a
concern's template (:mod:`lightship.local.stack_templates`), resolves the CloudFormation
references in its ``DefinitionString``, role, logging and tracing configuration to the
emulator's ARNs, and creates it (or updates it: safe to run twice). Its functions, role and
log group already exist (:mod:`lightship.local.from_templates`); moto then executes the
synthesized definition itself, with Lambda tasks routed to our handlers in process.
Called by :func:`lightship.local.provision.provision` for every stack with a state machine (batch, release, quality, retraining).
"""

from __future__ import annotations

import json
from typing import Any

from lightship.clients import client
from lightship.local.stack_templates import StackRefs, resources_of


def state_machine(stack: StackRefs) -> tuple[str, dict[str, Any]]:
    """(logical id, resource) of the template's only state machine."""
    ((logical_id, resource),) = resources_of(stack.template, "AWS::StepFunctions::StateMachine").items()
    return logical_id, resource


def provision_state_machine(stack: StackRefs) -> str:
    logical_id, resource = state_machine(stack)
    props = resource["Properties"]
    name, arn = stack.get_att(logical_id, "Name"), stack.get_att(logical_id, "Arn")
    definition = stack.resolve(props["DefinitionString"])
    json.loads(definition)  # a definition that is not JSON after resolution is a bug here, not in moto
    request: dict[str, Any] = {"definition": definition, "roleArn": stack.resolve(props["RoleArn"])}
    if "LoggingConfiguration" in props:
        logging_ = stack.resolve(props["LoggingConfiguration"])
        request["loggingConfiguration"] = {
            "level": logging_.get("Level", "OFF"),
            "includeExecutionData": logging_.get("IncludeExecutionData", False),
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
                             for d in logging_.get("Destinations", [])],
        }
    if "TracingConfiguration" in props:
        request["tracingConfiguration"] = {"enabled": bool(props["TracingConfiguration"].get("Enabled", False))}
    sfn = client("stepfunctions")
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, **request)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(name=name, type=props.get("StateMachineType", "STANDARD"), **request)
    return str(arn)
