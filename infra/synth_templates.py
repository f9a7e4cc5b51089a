"""Synthesize the whole CDK app and print every stack's template, as JSON.

Run as ``python -m infra.synth_templates '<settings json>'`` by
:mod:`lightship.local.stack_templates` (in a subprocess, so jsii's Node runtime never lives in
the CLI or a test process). It builds the app with :func:`infra.app_builder.build_app`, as
``app.py`` does (same stacks, settings and cdk.json context), without bundling assets and
without cdk-nag (the infra tests hold the app to it), and prints
``{"templates": {concern: template}}`` with the concerns ``build_app`` names (storage,
registry, alerts, batch, monitoring, serving, release, quality, retraining), and under
``"assets"`` the repository files and folders the assets hold (:func:`asset_inputs`), which
:mod:`lightship.local.synth_run` adds to the inputs of the emulator's synth cache.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def synthesize(settings_json: str) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        os.environ.pop(name, None)  # environment-agnostic stacks: account and region stay tokens
    import aws_cdk as cdk

    from infra.app_builder import build_app, cdk_json_context
    from lightship.settings import Settings

    settings = Settings.model_validate_json(settings_json)
    context = cdk_json_context()
    context["aws:cdk:bundling-stacks"] = []
    with tempfile.TemporaryDirectory(prefix="lightship-synth-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        stacks = build_app(app, settings)
        assembly = app.synth()
        templates = {concern: assembly.get_stack_by_name(stack.stack_name).template for concern, stack in stacks.items()}
        assets = asset_inputs(app, Path(outdir))
    return {"templates": templates, "assets": assets}


def asset_inputs(app: Any, outdir: Path) -> dict[str, list[str]]:
    """Each asset's source files (what CDK copied into ``outdir``, or the source folder's files where
    it staged nothing) and the folders below the asset's root (whose listing a new file changes)."""
    import aws_cdk as cdk

    files: set[str] = set()
    folders: set[str] = set()
    for staging in (c for c in app.node.find_all() if isinstance(c, cdk.AssetStaging)):
        source, staged = Path(staging.source_path), Path(staging.absolute_staged_path)
        copied = staged.resolve().is_relative_to(outdir.resolve())
        tree = staged if copied else source
        for folder, dirs, names in os.walk(tree):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules")]
            relative = Path(folder).relative_to(tree)
            if relative != Path("."):
                folders.add(str(source / relative))
            files.update(str(source / relative / n) for n in names if not n.endswith(".pyc"))
    return {"files": sorted(files), "folders": sorted(folders)}


if __name__ == "__main__":
    json.dump(synthesize(sys.argv[1]), sys.stdout)
