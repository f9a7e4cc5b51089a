"""``lightship local up`` in its own process: it prints the environment to export, the resources
are there under the stacks' names, and Ctrl-C stops it cleanly."""

import boto3

from lightship.cli.serve_cmd import METRICS_ENV
from lightship.resources import names_for
from lightship.settings import load_settings
from tests.support.local_up import local_up_process


def test_local_up_serves_the_stacks_resources_until_interrupted() -> None:
    with local_up_process() as exports:
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert exports["MOTO_PORT"] == exports["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]
        # lightship serve in that shell then ships its metrics to the emulator's CloudWatch, as the Lambda's reach it.
        assert METRICS_ENV == "LIGHTSHIP_SERVE_METRICS" and exports[METRICS_ENV] == "cloudwatch"
        session = boto3.session.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name=exports["AWS_DEFAULT_REGION"],
        )
        endpoint = exports["AWS_ENDPOINT_URL"]
        settings = load_settings()
        buckets = {b["Name"] for b in session.client("s3", endpoint_url=endpoint).list_buckets()["Buckets"]}
        assert f"{settings.project}-data-123456789012-{settings.region}" in buckets
        assert f"{settings.project}-artifacts-123456789012-{settings.region}" in buckets
        group = session.client("sagemaker", endpoint_url=endpoint).describe_model_package_group(ModelPackageGroupName=settings.model_package_group)
        assert group["ModelPackageGroupName"] == settings.model_package_group
        table = session.client("dynamodb", endpoint_url=endpoint).describe_table(TableName=names_for(settings).deployment_table)
        assert [k["AttributeName"] for k in table["Table"]["KeySchema"]] == ["pk", "sk"]
