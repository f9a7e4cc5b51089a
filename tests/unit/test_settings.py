"""Settings: typed defaults, then cdk.json context, then LIGHTSHIP_* environment variables."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from lightship.resources import resolved_settings, resources_for
from lightship.settings import Settings, SettingsError, load_settings, read_cdk_context


def test_defaults_apply_without_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    settings = load_settings(context={})
    assert settings.project == "lightship"
    assert settings.region == "us-east-1"
    assert settings.gate.classification_metric == "roc_auc"


def test_context_overrides_defaults_and_env_overrides_context(monkeypatch: pytest.MonkeyPatch) -> None:
    context = {"model_package_group": "churn", "gate": {"classification_min": 0.9, "min_improvement": 0.02}}
    monkeypatch.setenv("LIGHTSHIP_GATE__MIN_IMPROVEMENT", "0.05")
    settings = load_settings(context=context)
    assert settings.model_package_group == "churn"
    assert settings.gate.classification_min == 0.9  # from context, untouched by env
    assert settings.gate.min_improvement == 0.05  # env wins


def test_region_follows_the_aws_environment_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert load_settings(context={}).region == "eu-west-1"
    assert load_settings(context={"region": "ap-south-1"}).region == "ap-south-1"


def test_derived_names_are_unique_per_account_and_region() -> None:
    settings = Settings.model_validate({"project": "acme", "region": "eu-west-1"})
    resolved = resolved_settings(settings, resources_for(settings, "111122223333"))
    assert resolved["data_bucket"] == "acme-data-111122223333-eu-west-1"
    assert resolved["artifact_bucket"] == "acme-artifacts-111122223333-eu-west-1"
    assert resolved["deployment_table"] == "acme-deployments"


def test_invalid_values_are_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="holdout_fraction"):
        Settings.model_validate({"training": {"holdout_fraction": 1.5}})
    with pytest.raises(ValidationError, match="project"):
        Settings.model_validate({"project": "Bad Name!"})


def test_cdk_json_context_is_read_from_the_file(tmp_path: Path) -> None:
    cdk = tmp_path / "cdk.json"
    cdk.write_text(json.dumps({"app": "x", "context": {"lightship": {"project": "fromfile"}}}))
    assert read_cdk_context(cdk) == {"project": "fromfile"}
    assert read_cdk_context(tmp_path / "missing.json") == {}


def test_repository_cdk_json_holds_every_setting_group() -> None:
    context = read_cdk_context()
    for group in ("training", "gate", "serving", "batch", "rows", "alarms"):
        assert group in context, group
    Settings.model_validate(context)  # and it is valid


def test_invalid_environment_override_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from lightship.settings import SettingsError

    monkeypatch.setenv("LIGHTSHIP_SERVING__MEMORY_MB", "lots")
    with pytest.raises(SettingsError, match="serving.memory_mb"):
        load_settings(context={})
    with pytest.raises(SettingsError, match="training.holdout_fraction"):
        monkeypatch.delenv("LIGHTSHIP_SERVING__MEMORY_MB")
        load_settings(context={"training": {"holdout_fraction": 2}})


def test_the_row_policy_defaults_to_flag_and_refuses_an_unknown_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings({}).rows.out_of_range == "flag" and load_settings({}).rows.range_tolerance == 0.0
    monkeypatch.setenv("LIGHTSHIP_ROWS__OUT_OF_RANGE", "reject")
    assert load_settings({}).rows.out_of_range == "reject"
    monkeypatch.setenv("LIGHTSHIP_ROWS__OUT_OF_RANGE", "ignore")
    with pytest.raises(SettingsError, match="rows.out_of_range"):
        load_settings({})
