"""The CDK app ``cdk synth`` / ``cdk deploy`` run (cdk.json: ``.venv/bin/python app.py``).

It only composes: settings from the ``lightship`` context (cdk.json or ``-c``),
cdk-nag's AwsSolutions checks, and the stacks from :func:`infra.app_builder.build_app`.
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk

from infra.app_builder import build_app, cdk_json_context, enable_nag, settings_from_context, stack_env
from lightship.settings import CONTEXT_KEY

# Without an outdir a plain ``python app.py`` writes to a temporary folder; the CLI sets CDK_OUTDIR itself.
# cdk.json's context goes in as defaults so a plain ``python app.py`` gets the same feature flags as the CLI.
app = cdk.App(
    outdir=os.environ.get("CDK_OUTDIR", str(Path(__file__).resolve().parent / "cdk.out")),
    context=cdk_json_context(),
)
settings = settings_from_context(app.node.try_get_context(CONTEXT_KEY))
enable_nag(app)
build_app(app, settings, env=stack_env())
app.synth()
