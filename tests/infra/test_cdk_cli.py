"""The pinned CDK CLI (package.json) synthesizes app.py offline, exactly as ``cdk deploy`` will."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_BIN = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def test_npx_cdk_synth_succeeds_offline_with_the_pinned_cli(tmp_path: Path) -> None:
    if not CDK_BIN.exists():
        pytest.fail(f"{CDK_BIN} is missing: run `npm ci` in {REPO_ROOT} to install the pinned CDK CLI (package.json).")
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is needed to run the CDK CLI"
    pinned = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    installed = json.loads((REPO_ROOT / "node_modules" / "aws-cdk" / "package.json").read_text())["version"]
    assert installed == pinned, f"node_modules has aws-cdk {installed}, package.json pins {pinned}: run `npm ci`"

    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    for name in ("CDK_OUTDIR", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        env.pop(name, None)
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [npx, "cdk", "synth", "--no-notices", "-o", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"cdk synth failed:\n{result.stdout}\n{result.stderr}"
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = {name for name, artifact in manifest["artifacts"].items() if artifact["type"] == "aws:cloudformation:stack"}
    assert {"lightship-storage", "lightship-registry", "lightship-alerts", "lightship-batch"} <= stacks
    registry = json.loads((out / "lightship-registry.template.json").read_text())
    assert any(r["Type"] == "AWS::SageMaker::ModelPackageGroup" for r in registry["Resources"].values())
