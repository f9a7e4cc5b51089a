"""Every state machine the app synthesizes is valid Amazon States Language, by asl-validator (npm, pinned in
package-lock.json; ``make test`` installs it with the CDK CLI)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lightship.local.batch import resolve_references
from lightship.settings import REPO_ROOT

VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"


def _definitions(synthesized: Any) -> dict[str, str]:
    """Each state machine's definition with references resolved to ARNs of a made-up account, as deployed."""
    refs = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com"}
    out = {}
    for concern, template in synthesized.templates.items():
        resources = template.to_json()["Resources"]
        arns = {lid: f"arn:aws:lambda:us-east-1:123456789012:function:{r['Properties'].get('FunctionName', lid)}"
                for lid, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
        arns.update({lid: f"arn:aws:sns:us-east-1:123456789012:{lid}" for lid, r in resources.items() if r["Type"] == "AWS::SNS::Topic"})
        for lid, r in resources.items():
            if r["Type"] == "AWS::StepFunctions::StateMachine":
                refs_all = {**refs, lid: f"arn:aws:states:us-east-1:123456789012:stateMachine:{lid}"}
                out[f"{concern}/{lid}"] = resolve_references(r["Properties"]["DefinitionString"], refs_all, arns)
    return out


def test_the_release_and_batch_state_machines_are_valid_states_language(synthesized: Any, tmp_path: Path) -> None:
    definitions = _definitions(synthesized)
    assert {name.split("/")[0] for name in definitions} == {"batch", "release"}
    assert VALIDATOR.is_file(), "asl-validator is missing: run `npm ci` (make test does)"
    for name, definition in definitions.items():
        path = tmp_path / (name.replace("/", "-") + ".json")
        path.write_text(json.dumps(json.loads(definition)))
        result = subprocess.run([str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("broken", [{"StartAt": "Nowhere", "States": {}}, {"StartAt": "A", "States": {"A": {"Type": "Wait"}}}])
def test_the_validator_refuses_invalid_definitions(tmp_path: Path, broken: dict[str, Any]) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = subprocess.run([str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
