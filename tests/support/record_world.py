"""The deployment record, the registry and the alerts topic on moto in process (``mock_aws``), for unit tests.

:func:`record_world` builds the resources the rollback handler reads (the stacks' names for
moto's account), registers versions without training (an evaluation report is all the
registry needs), and gives each test fresh clients. :func:`before_next_call` runs a
competing writer at an exact point, between a caller's read and its conditional write,
through botocore's ``before-call`` event, so a race is forced, not hoped for.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sagemaker.models import SageMakerModelBackend

from lightship import clients
from lightship.clients import cached_client
from lightship.deployment.record import Deployment, DeploymentRecord, record_time
from lightship.local.alarm_delivery import cloudwatch_time
from lightship.local.sns_lambda import sns_lambda_event
from lightship.local.provision import _deployment_table, _model_package_group
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.resources import Resources, names_for, resources_for
from lightship.monitoring.alarm_events import AlarmStateChange, parse_alarm_event
from lightship.rollback.rollback import Rollbacker
from lightship.settings import Settings, cached_settings, load_settings

ACCOUNT = "123456789012"  # moto's
ERRORS = "lightship-serving-error-rate"
LATENCY = "lightship-serving-p99-latency"


def ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


@dataclass
class World:
    settings: Settings
    resources: Resources
    alerts_topic_arn: str
    inbox_url: str
    versions: dict[int, ModelVersion] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        """The shared client of ``service`` (what every writer uses unless a test gives it its own)."""
        return cached_client(service)

    def fresh(self, service: str) -> Any:
        """A client of its own, so a hook on it fires for one writer only."""
        return clients.client(service)

    def record(self, dynamodb: Any = None) -> DeploymentRecord:
        return DeploymentRecord(dynamodb or self.client("dynamodb"), self.resources.deployment_table)

    def registry(self, sagemaker: Any = None) -> ModelRegistry:
        return ModelRegistry(self.settings, sagemaker or self.client("sagemaker"), self.client("s3"), self.resources.artifact_bucket)

    def rollbacker(self, *, dynamodb: Any = None, sagemaker: Any = None, sns: Any = None) -> Rollbacker:
        return Rollbacker(self.record(dynamodb), self.registry(sagemaker), sns or self.client("sns"), self.alerts_topic_arn)

    def register(self, metric: float, *, approve: bool = True) -> ModelVersion:
        """A version with an evaluation report (no training: the registry needs only the report and a model URL)."""
        n = len(self.versions) + 1
        evaluation = {
            "task": "classification",
            "model": "logistic",
            "metrics": {"roc_auc": metric, "accuracy": metric},
            "lineage": {"git": {"commit": f"c{n}"}, "data": {"uri": "s3://data/x.csv"}, "training_job": {"name": f"job-{n}"}},
            "data": {"sha256": "0" * 64},
            "environment": {"sklearn_version": "1.9.1"},
        }
        registry = self.registry()
        version, _ = registry.register(
            model_data_url=f"s3://{self.resources.artifact_bucket}/models/job-{n}/output/model.tar.gz",
            evaluation=evaluation,
            image="sklearn-image",
            training_job_name=f"job-{n}",
            training_job_arn=f"arn:aws:sagemaker:{self.resources.region}:{ACCOUNT}:training-job/job-{n}",
        )
        if approve and version.status != "Approved":
            version = registry.approve(version.version, "tests", "tests")
        self.versions[version.version] = version
        return version

    def put_live(self, version: int, at: datetime, action: str = "deploy") -> Deployment:
        """Write the record as ``lightship deploy`` does, dated ``at`` (alarms are placed against these dates)."""
        record = self.record()
        live = record.live()
        v = self.versions[version]
        new = Deployment(
            version=version, package_arn=v.arn, model_data_url=v.model_data_url,
            revision=(live.revision + 1) if live else 1, action=action, reason="test deploy", by="tests",
            at=record_time(at), previous_version=live.version if live else None,
        )
        return record.write(new, live.revision if live else None)

    def status(self, version: int) -> str:
        return self.registry().version(version).status

    def alerts(self) -> list[dict[str, Any]]:
        """Every message the alerts topic delivered so far (drained from the subscribed queue)."""
        sqs = self.client("sqs")
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for message in got:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.inbox_url, ReceiptHandle=message["ReceiptHandle"])

    def history(self) -> list[tuple[int, str, int, int | None]]:
        """(revision, action, version, previous version), newest first."""
        return [(h.revision, h.action, h.version, h.previous_version) for h in self.record().history()]


def alarm_event(world: World, alarm: str, changed_at: datetime, state: str = "ALARM") -> dict[str, Any]:
    """What SNS hands the rollback function when ``alarm`` changes state."""
    r = world.resources
    topic = f"arn:aws:sns:{r.region}:{ACCOUNT}:{names_for(world.settings).rollback_topic}"
    message = {
        "AlarmName": alarm,
        "AlarmArn": f"arn:aws:cloudwatch:{r.region}:{ACCOUNT}:alarm:{alarm}",
        "NewStateValue": state,
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (0.05)",
        "StateChangeTime": cloudwatch_time(changed_at),
        "Trigger": {},
    }
    return sns_lambda_event(subscription_arn=f"{topic}:0000", topic_arn=topic, message=json.dumps(message), message_id="m-1",
                            subject=f"{state}: {alarm}", message_attributes={}, region=r.region, now=changed_at)


def alarm(world: World, name: str, changed_at: datetime) -> AlarmStateChange:
    [parsed] = parse_alarm_event(alarm_event(world, name, changed_at))
    return parsed


@contextmanager
def before_next_call(aws_client: Any, operation: str, action: Callable[[], Any]) -> Iterator[list[Any]]:
    """Run ``action`` once, just before ``aws_client`` sends its next ``operation`` (e.g. ``TransactWriteItems``).

    The caller has read the record by then and is about to write conditionally on what it
    read: ``action`` is the concurrent writer that gets in first. Yields a list holding
    ``action``'s result once it ran, so a test can assert the race really happened.
    ``action`` must use other clients than ``aws_client`` (the hook is on this client only).
    """
    ran: list[Any] = []
    event = f"before-call.{aws_client.meta.service_model.service_name}.{operation}"

    def hook(**_: Any) -> None:
        if not ran:
            ran.append(None)  # first, so a nested call of the same operation does not run it again
            ran[0] = action()

    aws_client.meta.events.register(event, hook, unique_id=f"race-{id(hook)}")
    try:
        yield ran
    finally:
        aws_client.meta.events.unregister(event, unique_id=f"race-{id(hook)}")


@contextmanager
def failing(aws_client: Any, operation: str, error: BaseException, times: int = 1) -> Iterator[list[int]]:
    """``aws_client``'s next ``times`` calls of ``operation`` raise ``error`` before reaching AWS."""
    calls: list[int] = []
    event = f"before-call.{aws_client.meta.service_model.service_name}.{operation}"

    def hook(**_: Any) -> None:
        if len(calls) < times:
            calls.append(1)
            raise error

    aws_client.meta.events.register(event, hook, unique_id=f"fail-{id(hook)}")
    try:
        yield calls
    finally:
        aws_client.meta.events.unregister(event, unique_id=f"fail-{id(hook)}")


_sessions: list[Any] = []


def _session() -> Any:
    if not _sessions:
        _sessions.append(boto3.session.Session(region_name=load_settings().region))
    return _sessions[0]


def client_error(code: str, operation: str, message: str = "simulated") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """moto in process with the record table, the model package group, the artifact bucket and the alerts topic."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "ALERTS_TOPIC_ARN", "MOTO_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    settings = load_settings()
    monkeypatch.setenv("AWS_DEFAULT_REGION", settings.region)
    monkeypatch.setenv("AWS_REGION", settings.region)
    # One botocore session for every client: a new session re-reads the service models (a second each).
    session = _session()
    monkeypatch.setattr(clients, "client", lambda service, **kw: session.client(service, config=clients._CONFIG, **kw))
    cached_client.cache_clear()  # clients cached while the emulator ran point at its endpoint
    cached_settings.cache_clear()
    # moto as it is: a training job is Completed at once. An integration test earlier in this worker may have
    # started the emulator, whose training compute (lightship/local/training_compute.py) wraps moto's class.
    monkeypatch.setattr(SageMakerModelBackend, "create_training_job", inspect.unwrap(SageMakerModelBackend.create_training_job))
    with mock_aws():
        resources = resources_for(settings, ACCOUNT)
        s3 = cached_client("s3")
        s3.create_bucket(Bucket=resources.artifact_bucket)
        _model_package_group(cached_client("sagemaker"), resources.model_package_group)
        _deployment_table(cached_client("dynamodb"), resources.deployment_table)
        sns, sqs = cached_client("sns"), cached_client("sqs")
        topic = sns.create_topic(Name=names_for(settings).alerts_topic)["TopicArn"]
        queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        yield World(settings=settings, resources=resources, alerts_topic_arn=topic, inbox_url=queue)
    cached_client.cache_clear()
    cached_settings.cache_clear()


@pytest.fixture
def two_live(world: World) -> World:
    """v1 and v2 Approved; v1 deployed 30 minutes ago, v2 10 minutes ago (revision 2)."""
    world.register(0.80)
    world.register(0.85)
    world.put_live(1, ago(30))
    world.put_live(2, ago(10))
    return world
