"""A routed handler gets the context Lambda would give it: the invoked function's ARN, memory and timeout
as the emulator holds them (from the stacks' templates), whether invoked directly or by an SNS subscription."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lightship.local import lambda_router, sns_lambda

NAME = "tests-context-probe"
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.fixture
def seen() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def probe(event: Any, context: Any) -> dict[str, Any]:
        calls.append({"arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
                      "remaining": context.get_remaining_time_in_millis(), "name": context.function_name})
        return {"ok": True}

    with mock_aws(config={"lambda": {"use_docker": False}}):
        lambda_router.install()
        sns_lambda.install()
        lambda_router.register(NAME, probe)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="probe", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=NAME, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="index.handler",
            Code={"ZipFile": _zip()}, MemorySize=256, Timeout=30)
        yield calls


def test_a_direct_invocation_sees_the_functions_arn_memory_and_timeout(seen: list[dict[str, Any]]) -> None:
    response = boto3.client("lambda", region_name=REGION).invoke(FunctionName=NAME, Payload=b"{}")
    assert json.loads(response["Payload"].read()) == {"ok": True}
    (call,) = seen
    assert call["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}" and call["name"] == NAME
    assert call["memory"] == 256
    assert 25_000 < call["remaining"] <= 30_000


def test_an_sns_delivery_sees_the_same_context(seen: list[dict[str, Any]]) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="probe-topic")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}")
    sns.publish(TopicArn=topic, Message="hello")
    (call,) = seen
    assert call["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}" and call["memory"] == 256
    assert 25_000 < call["remaining"] <= 30_000
