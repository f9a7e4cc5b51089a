"""Synthesize one stack and print what the emulator needs from its template, as JSON.

Run as ``python -m lightship.local.stack_synth MODULE:CLASS CONCERN '<settings json>'`` by
:func:`lightship.local.synthesized_stack.synthesized` (in a subprocess, like
:mod:`lightship.local.batch_synth`) for the release, quality and retraining stacks. It builds the stack as ``app.py`` does, alone (tests/infra
checks the standalone template is the app's), and extracts the state machine's
``DefinitionString`` and each function's name and handler (a zip's ``Handler``, an image's ``CMD``).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from typing import Any


def extract(stack_class: str, concern: str, settings_json: str) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        os.environ.pop(name, None)
    import aws_cdk as cdk

    from infra.app_builder import cdk_json_context
    from lightship.settings import Settings

    module, _, attribute = stack_class.partition(":")
    stack_type = getattr(importlib.import_module(module), attribute)
    settings = Settings.model_validate_json(settings_json)
    context = cdk_json_context()
    context["aws:cdk:bundling-stacks"] = []
    with tempfile.TemporaryDirectory(prefix="lightship-synth-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        stack = stack_type(app, f"{settings.project}-{concern}", settings=settings)
        template = app.synth().get_stack_by_name(stack.stack_name).template
    resources = template["Resources"]
    (machine_id, machine), = ((k, v) for k, v in resources.items() if v["Type"] == "AWS::StepFunctions::StateMachine")
    functions = {
        logical_id: {"name": r["Properties"]["FunctionName"],
                     "handler": r["Properties"].get("Handler") or r["Properties"]["ImageConfig"]["Command"][0],
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
    json.dump(extract(sys.argv[1], sys.argv[2], sys.argv[3]), sys.stdout)
