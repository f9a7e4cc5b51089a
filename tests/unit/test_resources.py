"""Resource names: resolved once (lightship.resources) from the settings, the account and the region.

Expected names are spelled out here, not rebuilt with the code under test."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lightship import clients
from lightship.resources import Names, current_resources, names_for, resources_for, resources_of_function
from lightship.settings import MODEL_NAMES, Settings, cached_settings, load_settings
from lightship.training.workflow import job_name_for


def test_every_name_derives_from_the_project_unless_the_user_set_it() -> None:
    derived = resources_for(Settings.model_validate({"project": "acme", "region": "eu-west-1"}), "111122223333")
    assert (derived.data_bucket, derived.artifact_bucket, derived.access_log_bucket) == (
        "acme-data-111122223333-eu-west-1", "acme-artifacts-111122223333-eu-west-1", "acme-access-logs-111122223333-eu-west-1")
    assert (derived.deployment_table, derived.sagemaker_role_name) == ("acme-deployments", "acme-sagemaker-execution")
    assert derived.sagemaker_role_arn == "arn:aws:iam::111122223333:role/acme-sagemaker-execution"
    assert (derived.serving_function, derived.rollback_function, derived.release_function, derived.quality_function,
            derived.retraining_function, derived.batch_function("score_chunk")) == (
        "acme-serving", "acme-rollback", "acme-release-step", "acme-quality-measure", "acme-retraining-step", "acme-batch-score-chunk")
    assert derived.state_machine_arn(derived.batch_state_machine) == "arn:aws:states:eu-west-1:111122223333:stateMachine:acme-batch-scoring"
    assert derived.execution_arn(derived.retraining_state_machine, "run-1") == (
        "arn:aws:states:eu-west-1:111122223333:execution:acme-retraining:run-1")
    assert derived.alerts_topic_arn == "arn:aws:sns:eu-west-1:111122223333:acme-alerts"
    assert derived.rollback_topic_arn == "arn:aws:sns:eu-west-1:111122223333:acme-rollback"

    own = resources_for(Settings.model_validate({"project": "acme", "data_bucket": "my-data", "artifact_bucket": "my-models",
                                                 "deployment_table": "my-table", "sagemaker_role_name": "my-role"}), "111122223333")
    assert (own.data_bucket, own.artifact_bucket, own.deployment_table, own.sagemaker_role_name) == ("my-data", "my-models", "my-table", "my-role")
    assert names_for(Settings.model_validate({"project": "acme"})).release_state_machine == "acme-release"
    assert names_for(Settings.model_validate({"project": "acme"})).stack("batch") == "acme-batch"


def test_a_function_resolves_names_in_its_own_partition_region_and_account() -> None:
    settings = Settings.model_validate({"project": "acme", "region": "us-east-1"})
    mine = resources_of_function(settings, "arn:aws-cn:lambda:cn-north-1:111122223333:function:acme-rollback")
    assert mine.alerts_topic_arn == "arn:aws-cn:sns:cn-north-1:111122223333:acme-alerts"
    assert mine.data_bucket == "acme-data-111122223333-cn-north-1"
    pinned = resources_of_function(settings.model_copy(update={"account": "444455556666"}),
                                   "arn:aws:lambda:us-east-1:111122223333:function:acme-rollback")
    assert pinned.account == "444455556666"


def test_a_pinned_account_is_used_without_asking_sts(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sts() -> str:
        raise AssertionError("STS was asked although the account is pinned")

    monkeypatch.setattr(clients, "account_id", no_sts)
    assert current_resources(Settings.model_validate({"project": "acme", "account": "444455556666"})).account == "444455556666"
    monkeypatch.setattr(clients, "account_id", lambda: "111122223333")
    assert current_resources(Settings.model_validate({"project": "acme"})).account == "111122223333"


def test_clients_take_the_region_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("LIGHTSHIP_CDK_JSON", "/nonexistent/cdk.json")
    cached_settings.cache_clear()
    try:
        assert load_settings().region == "eu-west-1"
        assert clients.client("s3").meta.region_name == "eu-west-1"
        monkeypatch.setenv("LIGHTSHIP_REGION", "ap-south-1")  # a setting wins over the ambient region
        cached_settings.cache_clear()
        assert clients.client("s3").meta.region_name == "ap-south-1"
    finally:
        cached_settings.cache_clear()


def test_log_groups_api_and_dashboard_are_named_from_the_project() -> None:
    names = names_for(Settings.model_validate({"project": "acme"}))
    assert names.function_log_group(names.serving_function) == "/aws/lambda/acme-serving"
    assert Names.function_log_group("acme-batch-score-chunk") == "/aws/lambda/acme-batch-score-chunk"
    assert names.state_machine_log_group(names.batch_state_machine) == "/aws/vendedlogs/states/acme-batch-scoring"
    assert Names.state_machine_log_group("acme-retraining") == "/aws/vendedlogs/states/acme-retraining"
    assert (names.serving_api, names.serving_access_log_group, names.dashboard) == (
        "acme-serving", "/aws/apigateway/acme-serving", "acme-live-model")
    derived = resources_for(Settings.model_validate({"project": "acme"}), "111122223333")
    assert (derived.serving_api, derived.serving_access_log_group, derived.dashboard) == (
        "acme-serving", "/aws/apigateway/acme-serving", "acme-live-model")


def test_every_training_job_name_starts_with_the_prefix_the_roles_are_granted() -> None:
    names = names_for(Settings.model_validate({"project": "acme"}))
    assert names.training_job_prefix == "acme-"
    assert names.training_job_name("hist_gradient_boosting", "20270610-050000", "a1b2") == (
        "acme-hist-gradient-boosting-20270610-050000-a1b2")
    assert names.training_job_name("logistic", "20270610-050000", "a1b2", retraining=True) == "acme-rt-logistic-20270610-050000-a1b2"
    # SageMaker's alphabet and length: other characters become hyphens, the name stops at 63.
    assert names.training_job_name("my.model", "20270610-050000", "a1b2") == "acme-my-model-20270610-050000-a1b2"
    long = names.training_job_name("m" * 80, "20270610-050000", "a1b2")
    assert long == "acme-" + "m" * 58 and len(long) == 63
    cut = names_for(Settings.model_validate({"project": "a" * 20})).training_job_name(
        "hist_gradient_boosting", "20270610-050000", "a1b2", retraining=True)
    assert cut == "a" * 20 + "-rt-hist-gradient-boosting-20270610-050000"  # cut at 63 on a hyphen: not kept


@given(project=st.from_regex(r"[a-z][a-z0-9-]{1,20}", fullmatch=True), model=st.sampled_from(sorted(MODEL_NAMES)),
       when=st.datetimes(), suffix=st.from_regex(r"[0-9a-f]{4}", fullmatch=True), retraining=st.booleans())
@example(project="a" * 20, model="hist_gradient_boosting", when=dt.datetime(2027, 6, 10, 5), suffix="a1b2", retraining=True)
def test_a_job_name_is_always_within_the_granted_prefix_and_sagemakers_rules(
    project: str, model: str, when: dt.datetime, suffix: str, retraining: bool
) -> None:
    names = names_for(Settings.model_validate({"project": project}))
    name = names.training_job_name(model, when.strftime("%Y%m%d-%H%M%S"), suffix, retraining=retraining)
    assert name.startswith(f"{project}-rt-" if retraining else f"{project}-")
    # SageMaker's TrainingJobName pattern.
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)


def test_a_new_job_is_named_by_the_time_it_starts() -> None:
    names = names_for(Settings.model_validate({"project": "acme"}))
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = job_name_for(names, "logistic", retraining=True)
    after = dt.datetime.now(dt.UTC)
    matched = re.fullmatch(r"acme-rt-logistic-(\d{8}-\d{6})-[0-9a-f]{4}", name)
    assert matched is not None
    assert before <= dt.datetime.strptime(matched[1], "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC) <= after
