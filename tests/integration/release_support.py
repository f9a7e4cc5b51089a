"""Shared set-up for release tests on the emulator: two versions, serving whose metrics reach the
emulator's CloudWatch (as CloudWatch Logs' EMF extraction would), live traffic, and running the
release state machine the release stack synthesizes."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from lightship.clients import client
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.local.emf import publish_emf
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.release.controller import Plan
from lightship.release.launch import Launched, launch
from lightship.resources import Resources
from lightship.serving.runtime import Serving, build_serving
from lightship.settings import Settings
from tests.support.models import register_trained

GOOD = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": "basic", "region": "north"}


def registry(settings: Settings, resources: Resources) -> ModelRegistry:
    return ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)


def record(resources: Resources) -> DeploymentRecord:
    return DeploymentRecord(client("dynamodb"), resources.deployment_table)


def two_versions(settings: Settings, resources: Resources, frame: pd.DataFrame) -> tuple[ModelVersion, ModelVersion]:
    """v1 live, v2 Approved (the candidate)."""
    v1 = register_trained(settings, resources, frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
    v2 = register_trained(settings, resources, frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    deploy(registry(settings, resources), record(resources), v1.version, reason="first", by="tests")
    return v1, v2


def serving_to_cloudwatch(settings: Settings) -> Serving:
    """Serving that re-reads the record on every request and publishes its metrics to the emulator."""
    tuned = settings.model_copy(update={"serving": settings.serving.model_copy(update={"record_ttl_seconds": 0.0,
                                                                                         "capture_sample_rate": 0.0})})
    cloudwatch = client("cloudwatch")
    return build_serving(tuned, metric_sinks=[lambda document: publish_emf(cloudwatch, [document])])


@dataclass
class Traffic:
    """Requests at a steady pace from a thread, each with its own routing key; keeps every answer."""

    serving: Serving
    interval: float = 0.03
    answers: list[tuple[int, int | None, str]] = field(default_factory=list)  # (status, version, role)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Traffic:
        api = TestClient(self.serving.app)

        def run() -> None:
            i = 0
            while not self._stop.is_set():
                response = api.post("/v1/predict", json={"instances": [GOOD]}, headers={"x-lightship-routing-key": f"user-{i}"})
                body = response.json()
                self.answers.append((response.status_code, body.get("model_version"), response.headers.get("x-model-role", "")))
                i += 1
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def launch_release(settings: Settings, resources: Resources, version: int, plan: Plan) -> Launched:
    return launch(registry(settings, resources), record(resources), client("stepfunctions"),
                  resources.state_machine_arn(resources.release_state_machine), version, plan, reason="test release", by="tests")


def wait_for_execution(execution_arn: str, timeout: float = 90.0) -> dict[str, Any]:
    sfn = client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.3)
    raise AssertionError(f"execution {execution_arn} still running after {timeout} s")


def states_entered(execution_arn: str) -> list[str]:
    events = client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def output(described: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(described.get("output") or "{}"))
