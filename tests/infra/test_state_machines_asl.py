"""Every state machine the app synthesizes is valid Amazon States Language, by an independent validator.

moto executes definitions without validating them (and has no ValidateStateMachineDefinition),
so a definition AWS would refuse can pass every local test. ``asl-validator`` (npm, pinned in
package.json) checks each ``AWS::StepFunctions::StateMachine`` of the synthesized app, its
references resolved to ARNs of the shape they take in an account (as the emulator resolves them).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
REGION, ACCOUNT = "eu-west-1", "123456789012"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com"}

# What a Ref / GetAtt Arn of each resource type gives in an account (name: its physical name or logical id).
ARNS = {
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "AWS::SNS::Topic": "arn:aws:sns:{region}:{account}:{name}",
    "AWS::SQS::Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{region}:{account}:stateMachine:{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "AWS::IAM::Role": "arn:aws:iam::{account}:role/{name}",
}
NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::IAM::Role": "RoleName",
}
# A Ref gives the ARN for these types, the name for the others.
REF_IS_ARN = {"AWS::SNS::Topic", "AWS::StepFunctions::StateMachine"}


def _plausible(resources: dict[str, Any], logical_id: str, want_arn: bool) -> str:
    resource = resources.get(logical_id)
    if resource is None:
        raise AssertionError(f"the definition refers to {logical_id}, which is not in its template")
    kind = resource["Type"]
    name = resource.get("Properties", {}).get(NAME_PROPERTY.get(kind, ""), logical_id)
    if not isinstance(name, str):  # a name built from intrinsics: its logical id stands in
        name = logical_id
    if kind not in ARNS:
        raise AssertionError(f"the definition refers to {logical_id} ({kind}); teach this test its ARN")
    if kind == "AWS::SQS::Queue" and not want_arn:
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
    if want_arn or kind in REF_IS_ARN:
        return ARNS[kind].format(region=REGION, account=ACCOUNT, name=name)
    return name


def resolve(node: Any, resources: dict[str, Any]) -> Any:
    """The intrinsic functions CDK writes into a DefinitionString, evaluated with plausible values."""
    if isinstance(node, list):
        return [resolve(n, resources) for n in node]
    if not isinstance(node, dict):
        return node
    if "Fn::Join" in node:
        delimiter, parts = node["Fn::Join"]
        return delimiter.join(str(resolve(p, resources)) for p in parts)
    if "Ref" in node:
        name = node["Ref"]
        return PSEUDO[name] if name in PSEUDO else _plausible(resources, name, want_arn=False)
    if "Fn::GetAtt" in node:
        logical_id, attribute = node["Fn::GetAtt"]
        assert attribute == "Arn", f"GetAtt {logical_id}.{attribute}: teach this test that attribute"
        return _plausible(resources, logical_id, want_arn=True)
    if "Fn::Select" in node:
        index, values = node["Fn::Select"]
        return resolve(values, resources)[int(index)]
    if "Fn::Split" in node:
        delimiter, value = node["Fn::Split"]
        return str(resolve(value, resources)).split(delimiter)
    if "Fn::ImportValue" in node:  # another stack's export: an ARN where its name says so
        export = str(resolve(node["Fn::ImportValue"], resources))
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{export.split(':')[-1]}" if "Arn" in export else export.split(":")[-1]
    return {k: resolve(v, resources) for k, v in node.items()}


def state_machines(synthesized: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(stack, logical id, definition) of every state machine in every stack of the app."""
    found = []
    for stack_name, template in synthesized.templates.items():
        resources = template.to_json().get("Resources", {})
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::StepFunctions::StateMachine":
                text = resolve(resource["Properties"]["DefinitionString"], resources)
                found.append((stack_name, logical_id, json.loads(text)))
    return found


def validate(definition: dict[str, Any], path: Path) -> subprocess.CompletedProcess[str]:
    path.write_text(json.dumps(definition, indent=1))
    return subprocess.run([str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def machines(synthesized: Any) -> list[tuple[str, str, dict[str, Any]]]:
    assert VALIDATOR.exists(), f"{VALIDATOR} is missing: run `npm ci` (make test does)"
    return state_machines(synthesized)


def test_the_app_synthesizes_the_batch_release_quality_and_retraining_state_machines(machines: list[tuple[str, str, dict[str, Any]]]) -> None:
    assert {stack for stack, _, _ in machines} == {"batch", "release", "quality", "retraining"}


def test_every_synthesized_state_machine_passes_asl_validator(machines: list[tuple[str, str, dict[str, Any]]], tmp_path: Path) -> None:
    failures = []
    for stack, logical_id, definition in machines:
        result = validate(definition, tmp_path / f"{stack}-{logical_id}.json")
        if result.returncode != 0:
            failures.append(f"{stack}/{logical_id}: {result.stdout.strip()} {result.stderr.strip()}")
    assert not failures, "\n".join(failures)


def test_asl_validator_rejects_a_broken_definition(machines: list[tuple[str, str, dict[str, Any]]], tmp_path: Path) -> None:
    """The validator really looks: the batch definition with a dangling Next fails it."""
    _, _, definition = next(m for m in machines if m[0] == "batch")
    broken = json.loads(json.dumps(definition))
    start = broken["StartAt"]
    broken["States"][start].pop("End", None)
    broken["States"][start]["Next"] = "NoSuchState"

    result = validate(broken, tmp_path / "broken.json")

    assert result.returncode != 0 and "NoSuchState" in result.stdout + result.stderr
