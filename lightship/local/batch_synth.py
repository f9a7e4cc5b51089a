"""Synthesize the batch stack and print what the emulator needs from its template, as JSON.

Run as ``python -m lightship.local.batch_synth '<settings json>'`` by :mod:`lightship.local.batch`
(in a subprocess, so jsii's Node runtime never lives in the CLI or a test process). It
builds the batch stack as ``app.py`` does (same class, settings and cdk.json context; the
synth tests check the template is the one the whole app emits) and extracts the state
machine's ``DefinitionString`` and the functions' names and handlers from the template.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any


def extract(settings_json: str) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        os.environ.pop(name, None)
    import aws_cdk as cdk

    from infra.app_builder import cdk_json_context
    from infra.stacks.batch import BatchStack
    from lightship.settings import Settings

    settings = Settings.model_validate_json(settings_json)
    context = cdk_json_context()
    context["aws:cdk:bundling-stacks"] = []
    with tempfile.TemporaryDirectory(prefix="lightship-synth-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        # The batch stack alone: its template equals the one in the whole app (tests/infra checks
        # it), and the emulator then never depends on the other stacks synthesizing.
        stack = BatchStack(app, f"{settings.project}-batch", settings=settings)
        template = app.synth().get_stack_by_name(stack.stack_name).template
    resources = template["Resources"]
    machines = {k: v for k, v in resources.items() if v["Type"] == "AWS::StepFunctions::StateMachine"}
    (machine_id, machine), = machines.items()
    functions = {
        logical_id: {
            "name": r["Properties"]["FunctionName"],
            "handler": r["Properties"]["ImageConfig"]["Command"][0],
            "environment": r["Properties"].get("Environment", {}).get("Variables", {}),
        }
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    return {
        "state_machine": {
            "logical_id": machine_id,
            "name": machine["Properties"]["StateMachineName"],
            "definition": machine["Properties"]["DefinitionString"],
        },
        "functions": functions,
    }


if __name__ == "__main__":
    json.dump(extract(sys.argv[1]), sys.stdout)
