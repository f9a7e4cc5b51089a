"""``ServingStack``: the serving Lambda (FastAPI + Mangum) behind an HTTPS API Gateway HTTP API.

* Function ``Resources.serving_function`` (lightship/resources.py): a zip (``lambdas/serving/requirements.txt``
  bundled for manylinux x86_64 without Docker, test folders pruned, bytecode compiled;
  190 MiB unzipped, under Lambda's 250) on Python 3.12 with **SnapStart** on published
  versions: the init phase (imports, the live bundle from S3) is snapshotted once per
  version, so a cold start restores instead of importing scikit-learn. The API invokes
  the ``live`` alias, never ``$LATEST``. Packaging figures: bench/README.md.
* Its role reads the deployment record (``GetItem``), model bundles under the artifact
  bucket's model prefix, writes inference capture under the data bucket's capture prefix
  and its own log group (metrics are EMF lines in that log group: no PutMetricData).
* HTTP API, ``$default`` stage: every route needs IAM (SigV4) auth, or a JWT authorizer
  when ``serving.auth == "jwt"`` (``jwt_issuer`` and ``jwt_audience`` required); JSON
  access logs; stage throttling from ``serving.throttle_rate_limit`` / ``throttle_burst_limit``.

Built by :func:`infra.app_builder.build_app` after the storage and registry stacks, whose
resources it names from the settings (no CloudFormation exports).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.logged_function import logged_function
from infra.constructs.lean_python_zip import lean_python_zip_code, read_requirements
from infra.nag import acknowledge, grant_with_reasons
from infra.settings_env import function_environment
from lightship import observability as names
from lightship.resources import Resources
from lightship.settings import REPO_ROOT, ServingSettings

RUNTIME = lambda_.Runtime.PYTHON_3_12  # the first Python runtime with SnapStart
SERVING_SOURCES = ("lightship", "lambdas/serving")
SERVING_HANDLER = "lambdas.serving.handler.handler"
REQUIREMENTS_FILE = REPO_ROOT / "lambdas" / "serving" / "requirements.txt"
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
ALIAS = "live"

# What API Gateway writes per request: enough to trace a client's call to the function's logs.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "user": "$context.identity.userArn",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


@dataclass(frozen=True)
class ServingProps:
    names: Resources  # table, buckets, function
    serving: ServingSettings
    settings_env: dict[str, str]  # the user's settings as the function reads them (infra/settings_env.py)
    model_prefix: str
    capture_prefix: str
    release_prefix: str  # release.prefix: shadow records


class ServingStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ServingProps,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.names = props.names
        serving = props.serving
        if serving.auth == "jwt" and (not serving.jwt_issuer or not serving.jwt_audience):
            raise ValueError("serving.auth is 'jwt': set serving.jwt_issuer and serving.jwt_audience in cdk.json (context.lightship.serving)")

        # The user's settings and every resolved name: the app reads them at cold start, with no cdk.json.
        environment = function_environment(props.settings_env, props.names, self.account, names.SERVICE_SERVING)
        logged = logged_function(
            self,
            "Serving",
            lambda_.Function,
            function_name=self.names.serving_function,
            role_description="Lightship serving: read the deployment record and model bundles, write inference capture.",
            retention=LOG_RETENTION,
            description="Lightship online predictions: FastAPI through Mangum, live model from the deployment record.",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=SERVING_HANDLER,
            code=code or lean_python_zip_code(requirements=read_requirements(REQUIREMENTS_FILE), sources=SERVING_SOURCES, runtime=RUNTIME),
            memory_size=serving.memory_mb,
            timeout=cdk.Duration.seconds(serving.timeout_seconds),
            environment=environment,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS,
            reserved_concurrent_executions=serving.reserved_concurrency,
        )
        self.function, self.role, self.log_group = logged.function, logged.role, logged.log_group
        acknowledge(
            self.function.node.default_child,  # type: ignore[arg-type]
            "AwsSolutions-L1",
            "Pinned to python3.12 on purpose: SnapStart was measured there (NOTES.md), the zip's wheels are resolved and "
            "its bytecode compiled for exactly this version; move RUNTIME and lambdas/serving/requirements.txt together.",
        )
        self.alias = lambda_.Alias(self, "LiveAlias", alias_name=ALIAS, version=self.function.current_version,
                                   description="What the API invokes: the latest published (SnapStart) version.")
        self._grant(props, props.names.data_bucket, props.names.artifact_bucket)
        self.api, self.stage = self._api(props)

        cdk.CfnOutput(self, "ApiUrl", value=self.stage.url, description="Base URL: POST {ApiUrl}v1/predict (SigV4-signed unless JWT).")
        cdk.CfnOutput(self, "ServingFunctionName", value=self.function.function_name)
        cdk.CfnOutput(self, "ServingAliasArn", value=self.alias.function_arn)

    def _api(self, props: ServingProps) -> tuple[apigw.HttpApi, apigw.HttpStage]:
        serving = props.serving
        authorizer: apigw.IHttpRouteAuthorizer
        if serving.auth == "jwt":
            authorizer = authorizers.HttpJwtAuthorizer("JwtAuthorizer", serving.jwt_issuer or "", jwt_audience=list(serving.jwt_audience))
        else:
            authorizer = authorizers.HttpIamAuthorizer()
        api = apigw.HttpApi(
            self,
            "ServingApi",
            api_name=props.names.serving_api,
            description="Lightship predictions (HTTPS only; IAM or JWT auth on every route).",
            create_default_stage=False,
            default_authorizer=authorizer,
        )
        integration = integrations.HttpLambdaIntegration(
            "ServingIntegration", self.alias, payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0
        )
        # One proxy route behind the authorizer: the app routes itself (/v1/..., /docs, /openapi.json).
        api.add_routes(path="/{proxy+}", methods=[apigw.HttpMethod.ANY], integration=integration)
        access_logs = logs.LogGroup(self, "ApiAccessLogs", log_group_name=props.names.serving_access_log_group,
                                    retention=LOG_RETENTION, removal_policy=cdk.RemovalPolicy.RETAIN)
        stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=api,
            stage_name="$default",
            auto_deploy=True,
            access_log_settings=AccessLogSettings(access_logs),
            throttle=apigw.ThrottleSettings(rate_limit=serving.throttle_rate_limit, burst_limit=serving.throttle_burst_limit),
            detailed_metrics_enabled=True,
        )
        return api, stage

    def _grant(self, props: ServingProps, data_bucket_name: str, artifact_bucket_name: str) -> None:
        table_arn = cdk.Arn.format(cdk.ArnComponents(service="dynamodb", resource="table", resource_name=self.names.deployment_table), self)
        models = f"arn:{cdk.Aws.PARTITION}:s3:::{artifact_bucket_name}/{props.model_prefix.strip('/')}/*"
        capture = f"arn:{cdk.Aws.PARTITION}:s3:::{data_bucket_name}/{props.capture_prefix.strip('/')}/*"
        shadow = f"arn:{cdk.Aws.PARTITION}:s3:::{data_bucket_name}/{props.release_prefix.strip('/')}/shadow/*"
        statements: list[tuple[iam.PolicyStatement, str | None]] = [
            (iam.PolicyStatement(sid="ReadDeploymentRecord", actions=["dynamodb:GetItem"], resources=[table_arn]), None),
            (iam.PolicyStatement(sid="ReadModelBundles", actions=["s3:GetObject"], resources=[models]),
             ("The live bundle's key (<model prefix>/<training job>/output/model.tar.gz) is known only when the "
              "record names it; read-only, scoped to the model prefix of the artifact bucket.")),
            (iam.PolicyStatement(sid="WriteInferenceCapture", actions=["s3:PutObject"], resources=[capture]),
             ("Capture objects are keyed by model version, date and a random id at run time; write-only, "
              "scoped to the capture prefix of the data bucket.")),
            (iam.PolicyStatement(sid="WriteShadowRecords", actions=["s3:PutObject"], resources=[shadow]),
             ("A shadow release's records are keyed by release id, time and a random id at run time; write-only, "
              "scoped to the shadow folder of the release prefix of the data bucket.")),
        ]
        grant_with_reasons(self, self.role, statements)


@jsii.implements(apigw.IAccessLogSettings)
class AccessLogSettings:
    """JSON access logs (:data:`ACCESS_LOG_FORMAT`) into ``log_group``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")))
