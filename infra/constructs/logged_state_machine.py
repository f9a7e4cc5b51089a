"""``logged_state_machine``: a Step Functions state machine that logs every execution, as every stack makes one.

The batch, release, quality and retraining stacks each make their machine this way: logging ``ALL``
with execution data to a log group named :meth:`lightship.resources.Names.state_machine_log_group`
(retained on deletion), X-Ray tracing on, and the wildcards of the machine's generated policies
acknowledged to cdk-nag (:func:`infra.nag.acknowledge_machine_wildcards`), the logging ones here, the
stack's own (what its tasks call) from the stack. The constructs are added to ``scope`` itself
(``StateMachineLogs``, ``StateMachine``), so their logical ids are the ones the stacks always had.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.nag import MACHINE_POLICIES, acknowledge_machine_wildcards
from lightship.resources import Names

# Log delivery (logging ALL) and X-Ray: the actions CDK grants every logged, traced machine.
LOGGING_REASON = "Logging ALL to CloudWatch Logs (log delivery APIs) and X-Ray tracing support no resource-level permissions."


def logged_state_machine(
    scope: Construct,
    *,
    name: str,
    definition: sfn.IChainable,
    timeout: cdk.Duration,
    retention: logs.RetentionDays,
    why: dict[str, str],
    policies: tuple[str, ...] = MACHINE_POLICIES,
) -> sfn.StateMachine:
    """The machine ``name`` running ``definition``; ``why`` gives the reason for each wildcard of its tasks' grants
    by action prefix (``"lambda:"``), ``policies`` the machine's policies to look in (a Distributed Map adds one)."""
    log_group = logs.LogGroup(scope, "StateMachineLogs", log_group_name=Names.state_machine_log_group(name),
                              retention=retention, removal_policy=cdk.RemovalPolicy.RETAIN)
    machine = sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=name,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        tracing_enabled=True,
        timeout=timeout,
    )
    acknowledge_machine_wildcards(cdk.Stack.of(scope), machine, {**why, "logs:": LOGGING_REASON, "xray:": LOGGING_REASON},
                                  policies=policies)
    return machine
