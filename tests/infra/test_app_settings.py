"""Settings reach the stacks: context overrides flow into names; context arrives as dict, JSON or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra.app_builder import settings_from_context, stack_env
from infra.nag import flatten_cfn_reference
from lightship.settings import Settings

OVERRIDE = {
    "project": "acme",
    "model_package_group": "acme-churn",
    "training_prefix": "datasets/train",
    "model_prefix": "bundles",
    "deployment_table": "acme-live-model",
    "sagemaker_role_name": "acme-trainer",
}


@pytest.fixture(scope="module")
def pinned(synth_app: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app with another project's settings, pinned to an account and region as the CLI does with credentials."""
    return synth_app(
        tmp_path_factory.mktemp("acme"),
        lightship=json.dumps(OVERRIDE),  # as `cdk synth -c lightship='{...}'` passes it
        env=cdk.Environment(account="111122223333", region="eu-west-1"),
    )


def test_context_override_flows_into_stack_and_resource_names(pinned: Any) -> None:
    assert {s.stack_name for s in pinned.stacks.values()} == {f"acme-{concern}" for concern in pinned.stacks}
    assert {"acme-storage", "acme-registry", "acme-batch"} <= {s.stack_name for s in pinned.stacks.values()}
    names = sorted(
        flatten_cfn_reference(b["Properties"]["BucketName"])
        for b in pinned.templates["storage"].find_resources("AWS::S3::Bucket").values()
    )
    # A pinned environment gives literal names: the region is the stack's, not the settings' default.
    assert names == [
        "acme-access-logs-111122223333-eu-west-1",
        "acme-artifacts-111122223333-eu-west-1",
        "acme-data-111122223333-eu-west-1",
    ]
    registry = pinned.templates["registry"]
    registry.has_resource_properties("AWS::SageMaker::ModelPackageGroup", {"ModelPackageGroupName": "acme-churn"})
    registry.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "acme-live-model"})
    registry.has_resource_properties("AWS::IAM::Role", {"RoleName": "acme-trainer"})


def test_context_override_flows_into_the_training_role_prefixes(pinned: Any) -> None:
    (policy,) = pinned.templates["registry"].find_resources("AWS::IAM::Policy").values()
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert flatten_cfn_reference(by_sid["ReadTrainingData"]["Resource"]) == (
        "arn:aws:s3:::acme-data-111122223333-eu-west-1/datasets/train/*"
    )
    assert flatten_cfn_reference(by_sid["WriteModelArtifacts"]["Resource"]) == (
        "arn:aws:s3:::acme-artifacts-111122223333-eu-west-1/bundles/*"
    )
    assert by_sid["ListTrainingData"]["Condition"] == {
        "StringLike": {"s3:prefix": ["datasets/train", "datasets/train/*"]}
    }


def test_pinned_environment_is_also_clean_under_cdk_nag(pinned: Any) -> None:
    # Acknowledgement ids are computed from the granted ARNs, so they follow literal names too;
    # an id that drifted would have failed the synth in the fixture.
    report = json.loads((Path(pinned.outdir) / "validation-report.json").read_text())
    assert all(not plugin.get("violations") for plugin in report.get("pluginReports", []))


def test_settings_from_context_accepts_a_dict_a_json_string_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIGHTSHIP_PROJECT", "LIGHTSHIP_MODEL_PACKAGE_GROUP"):
        monkeypatch.delenv(name, raising=False)
    assert settings_from_context({"project": "acme"}).project == "acme"
    assert settings_from_context(json.dumps({"project": "acme"})).project == "acme"
    # No context (plain `python app.py` without cdk.json context): cdk.json is read.
    fallback = settings_from_context(None)
    assert isinstance(fallback, Settings)
    assert fallback.model_package_group == "lightship-models"
    with pytest.raises(TypeError):
        settings_from_context(["not", "an", "object"])


def test_stack_env_is_agnostic_unless_the_cli_resolved_an_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    assert stack_env() is None
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "111122223333")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    env = stack_env()
    assert env is not None and (env.account, env.region) == ("111122223333", "eu-west-1")
