"""The serving stack: a SnapStart zip function behind an authenticated HTTPS HTTP API, with least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.lean_python_zip import prune
from infra.locked_requirements import read_pins
from infra.nag import flatten_cfn_reference
from infra.stacks.serving import REQUIREMENTS_FILE
from lightship.resources import names_for
from lightship.settings import read_cdk_context


@pytest.fixture(scope="module")
def serving(synthesized: Any) -> Template:
    return synthesized.templates["serving"]


def _statements(template: Template) -> dict[str, dict[str, Any]]:
    [policy] = template.find_resources("AWS::IAM::Policy").values()
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def _flat(value: Any) -> str:
    return flatten_cfn_reference(value)


def test_function_is_a_python312_zip_with_snapstart_and_the_settings(serving: Template, synthesized: Any) -> None:
    settings = synthesized.settings
    serving.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": names_for(settings).serving_function,
            "Runtime": "python3.12",
            "Handler": "lambdas.serving.handler.handler",
            "MemorySize": settings.serving.memory_mb,
            "Timeout": settings.serving.timeout_seconds,
            "SnapStart": {"ApplyOn": "PublishedVersions"},
            "Architectures": ["x86_64"],
        },
    )


def test_function_environment_carries_the_resolved_names(serving: Template, synthesized: Any) -> None:
    settings = synthesized.settings
    [function] = serving.find_resources("AWS::Lambda::Function").values()
    env = function["Properties"]["Environment"]["Variables"]
    assert env["LIGHTSHIP_DEPLOYMENT_TABLE"] == names_for(settings).deployment_table
    assert _flat(env["LIGHTSHIP_ACCOUNT"]) == "<AWS::AccountId>"  # no STS call at cold start
    assert _flat(env["LIGHTSHIP_DATA_BUCKET"]) == f"{settings.project}-data-<AWS::AccountId>-<AWS::Region>"
    assert _flat(env["LIGHTSHIP_ARTIFACT_BUCKET"]) == f"{settings.project}-artifacts-<AWS::AccountId>-<AWS::Region>"
    # cdk.json keeps the defaults: no choice to pass, the app's own defaults apply (test_function_settings.py)
    assert "LIGHTSHIP_CAPTURE_PREFIX" not in env and not [k for k in env if "__" in k]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Lightship" and env["OMP_NUM_THREADS"] == "1"


def test_the_api_invokes_the_published_alias_not_latest(serving: Template) -> None:
    serving.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
    [alias_id] = serving.find_resources("AWS::Lambda::Alias")
    [integration] = serving.find_resources("AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["IntegrationUri"] == {"Ref": alias_id}
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"


def test_every_route_requires_iam_auth_by_default(serving: Template) -> None:
    routes = serving.find_resources("AWS::ApiGatewayV2::Route")
    assert routes and all(r["Properties"]["AuthorizationType"] == "AWS_IAM" for r in routes.values())
    assert {r["Properties"]["RouteKey"] for r in routes.values()} == {"ANY /{proxy+}"}


def test_stage_has_json_access_logs_and_throttling_from_settings(serving: Template, synthesized: Any) -> None:
    settings = synthesized.settings
    [stage] = serving.find_resources("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    log_format = json.loads(props["AccessLogSettings"]["Format"])
    assert log_format["requestId"] == "$context.requestId" and log_format["status"] == "$context.status"
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == settings.serving.throttle_rate_limit
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == settings.serving.throttle_burst_limit
    assert props["StageName"] == "$default" and props["AutoDeploy"] is True


def test_role_reads_record_and_models_writes_capture_and_shadow_records_and_nothing_more(serving: Template, synthesized: Any) -> None:
    settings = synthesized.settings
    statements = _statements(serving)
    assert set(statements) == {"WriteOwnLogs", "ReadDeploymentRecord", "ReadModelBundles", "WriteInferenceCapture", "WriteShadowRecords"}
    assert statements["WriteShadowRecords"]["Action"] == "s3:PutObject"
    assert _flat(statements["WriteShadowRecords"]["Resource"]).endswith(f"-data-<AWS::AccountId>-<AWS::Region>/{settings.release.prefix}/shadow/*")
    assert statements["ReadDeploymentRecord"]["Action"] == "dynamodb:GetItem"
    assert _flat(statements["ReadDeploymentRecord"]["Resource"]).endswith(f":table/{names_for(settings).deployment_table}")
    assert statements["ReadModelBundles"]["Action"] == "s3:GetObject"
    assert _flat(statements["ReadModelBundles"]["Resource"]).endswith(f"-artifacts-<AWS::AccountId>-<AWS::Region>/{settings.model_prefix}/*")
    assert statements["WriteInferenceCapture"]["Action"] == "s3:PutObject"
    assert _flat(statements["WriteInferenceCapture"]["Resource"]).endswith(f"-data-<AWS::AccountId>-<AWS::Region>/{settings.capture_prefix}/*")
    [role] = serving.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWSLambdaBasicExecutionRole's logs:* on every group


def test_jwt_auth_and_throttling_come_from_context(synth_app: Any, tmp_path: Path) -> None:
    lightship = read_cdk_context()
    lightship["serving"] = {**lightship["serving"], "auth": "jwt", "jwt_issuer": "https://issuer.example.com/",
                            "jwt_audience": ["lightship-clients"], "throttle_rate_limit": 7, "throttle_burst_limit": 9}
    template = synth_app(tmp_path, lightship=lightship).templates["serving"]

    template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {"AuthorizerType": "JWT", "JwtConfiguration": {"Issuer": "https://issuer.example.com/", "Audience": ["lightship-clients"]}},
    )
    routes = template.find_resources("AWS::ApiGatewayV2::Route")
    assert all(r["Properties"]["AuthorizationType"] == "JWT" for r in routes.values())
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage", {"DefaultRouteSettings": Match.object_like({"ThrottlingRateLimit": 7, "ThrottlingBurstLimit": 9})}
    )


def test_jwt_auth_without_issuer_fails_the_synth_with_a_clear_message(synth_app: Any, tmp_path: Path) -> None:
    lightship = read_cdk_context()
    lightship["serving"] = {**lightship["serving"], "auth": "jwt"}
    with pytest.raises(ValueError, match="set serving.jwt_issuer and serving.jwt_audience"):
        synth_app(tmp_path, lightship=lightship)


def test_the_bundle_leaves_out_pandas_pyarrow_awswrangler_sagemaker_and_scikit_learn() -> None:
    names = set(read_pins(REQUIREMENTS_FILE.read_text()))
    assert {"onnxruntime", "fastapi", "mangum", "aws-lambda-powertools"} <= names
    assert not names & {"pandas", "pyarrow", "awswrangler", "sagemaker", "sagemaker-core", "scikit-learn", "scipy", "joblib"}


def test_the_bundle_ships_the_versions_the_tests_run_with() -> None:
    # Two views of uv.lock: the exported zip requirements and what `uv sync` installed here.
    from importlib.metadata import version

    pins = read_pins(REQUIREMENTS_FILE.read_text(), applicable_here=True)
    assert pins, "the serving requirements are empty"
    for name, pinned in pins.items():
        assert version(name) == pinned, f"{name}: bundle pins {pinned}, tests run {version(name)}: run `make lock`"


def test_prune_removes_wheel_test_folders_and_keeps_code(tmp_path: Path) -> None:
    (tmp_path / "scipy" / "tests").mkdir(parents=True)
    (tmp_path / "scipy" / "tests" / "test_x.py").write_text("x = 1\n" * 100)
    (tmp_path / "scipy" / "linalg" / "tests").mkdir(parents=True)
    (tmp_path / "scipy" / "linalg" / "__init__.py").write_text("")
    (tmp_path / "scipy" / "testing.py").write_text("")

    freed = prune(tmp_path)

    assert freed == 600
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "scipy", "scipy/linalg", "scipy/linalg/__init__.py", "scipy/testing.py"]


def test_serving_acknowledges_only_its_runtime_pin_and_its_three_prefix_wildcards(synthesized: Any) -> None:
    import aws_cdk as cdk

    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = [
        rule
        for construct in synthesized.stacks["serving"].node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule in entry.data
    ]
    acknowledged = [r.removeprefix("Annotation::") for r in acknowledged]
    assert sorted(r.split("[")[0] for r in acknowledged) == ["AwsSolutions-IAM5"] * 3 + ["AwsSolutions-L1"]
    wildcards = sorted(r for r in acknowledged if r.startswith("AwsSolutions-IAM5"))
    assert wildcards[0].endswith("-artifacts-<AWS::AccountId>-<AWS::Region>/models/*]")
    assert wildcards[1].endswith("-data-<AWS::AccountId>-<AWS::Region>/capture/*]")
    assert wildcards[2].endswith("-data-<AWS::AccountId>-<AWS::Region>/release/shadow/*]")
