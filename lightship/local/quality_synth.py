"""Synthesize the quality stack and print what the emulator needs from its template, as JSON.

Run as ``python -m lightship.local.quality_synth '<settings json>'`` by :mod:`lightship.local.quality`
(in a subprocess, like :mod:`lightship.local.batch_synth`). It builds the quality stack as
``app.py`` does (tests/infra checks the standalone template is the app's) and extracts the
state machine's ``DefinitionString`` and the function's name and handler (its image's ``CMD``).
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
    from infra.stacks.quality import QualityStack
    from lightship.settings import Settings

    settings = Settings.model_validate_json(settings_json)
    context = cdk_json_context()
    context["aws:cdk:bundling-stacks"] = []
    with tempfile.TemporaryDirectory(prefix="lightship-synth-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        stack = QualityStack(app, f"{settings.project}-quality", settings=settings)
        template = app.synth().get_stack_by_name(stack.stack_name).template
    resources = template["Resources"]
    (machine_id, machine), = ((k, v) for k, v in resources.items() if v["Type"] == "AWS::StepFunctions::StateMachine")
    functions = {
        logical_id: {"name": r["Properties"]["FunctionName"], "handler": r["Properties"]["ImageConfig"]["Command"][0],
                     "environment": r["Properties"].get("Environment", {}).get("Variables", {})}
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    return {
        "state_machine": {"logical_id": machine_id, "name": machine["Properties"]["StateMachineName"],
                          "definition": machine["Properties"]["DefinitionString"]},
        "functions": functions,
    }


if __name__ == "__main__":
    json.dump(extract(sys.argv[1]), sys.stdout)
