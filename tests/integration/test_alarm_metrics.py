"""Every alarm's metric exists in the emulator's CloudWatch after the action that should emit it.

The metrics each alarm watches are those tests/support/alarm_table.py writes out by hand from the
docs' alarm tables (the test does not read them from lightship.monitoring.alarms; it only checks
that no alarm is left out). Serving runs the way ``lightship serve --metrics cloudwatch`` runs it (its EMF lines shipped
as the serving function's, through lightship.local.function_logs, the path every routed handler's
lines take); the rollback handler runs from the alarm's SNS action; the serving Lambda's own
``AWS/Lambda`` ``Errors`` come from an invocation that fails, as Lambda counts them.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from lightship.bundle.model_bundle import pack_bundle
from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.faulty_model import FaultyModel
from lightship.deployment.deploy import deploy
from lightship.local.emulator import LocalEmulator
from lightship.local.function_logs import LogShipper
from lightship.monitoring.alarms import alarm_specs
from lightship.registry.model_registry import ModelRegistry, ModelVersion
from lightship.release import controller
from lightship.release.controller import Plan
from lightship.deployment.release_state import CANARY, SHADOW
from lightship.resources import names_for
from lightship.serving.runtime import build_serving
from lightship.settings import Settings
from lightship.training.data import load_training_data
from lightship.training.run import train, write
from tests.integration.release_support import GOOD, record, registry
from tests.support.alarm_table import ALARM_TABLE
from tests.support.models import register_trained


def expected(settings: Settings) -> dict[str, list[tuple[str, str, dict[str, str]]]]:
    """Alarm name -> (namespace, metric, exact dimensions) it watches: the series tests/support/alarm_table.py
    states for each alarm whose metric this file produces (the others are :func:`elsewhere`)."""
    assert settings.project == "lightship", "ALARM_TABLE states the alarms of the default project"
    produced = {name: series for name, (series, *_) in ALARM_TABLE.items() if name not in elsewhere(settings)}
    return {name: [(namespace, metric, dict(dimensions)) for namespace, metric, dimensions, _ in sorted(series)]
            for name, series in produced.items()}


def elsewhere(settings: Settings) -> dict[str, str]:
    """Alarms whose metric this file does not produce, and where it is checked (or why it cannot be)."""
    p = settings.project
    return {
        f"{p}-serving-throttles": "AWS/Lambda Throttles: the emulator runs every invocation, it never throttles",
        f"{p}-batch-drift": "DriftedFeatures {service=batch}: tests/integration/test_batch_run.py (finalize's EMF)",
        f"{p}-quality-realized": "QualityBreach {service=quality, Role=live}: tests/integration/test_quality_run.py",
        f"{p}-quality-estimated": "EstimatedQualityBreach {service=quality, Role=live}: tests/integration/test_quality_run.py",
    }


def _faulty(settings: Settings, emulator: LocalEmulator, frame: pd.DataFrame) -> ModelVersion:
    """A version whose model raises on every row at predict time (its evaluation was fine)."""
    resources = emulator.resources
    assert resources is not None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        frame.to_csv(path, index=False)
        result = train(load_training_data(path, "churned"), "logistic", {"C": 0.5})
        result.pipeline = FaultyModel(result.pipeline, failure_share=1.0)
        result.without_onnx("tests: a faulty wrapper around the pipeline")
        body = pack_bundle(write(result, Path(tmp) / "model"))
    return _register(settings, emulator, "faulty", body, dict(result.evaluation))


def _unloadable(settings: Settings, emulator: LocalEmulator, evaluation: dict[str, object]) -> ModelVersion:
    return _register(settings, emulator, "unloadable", b"not a model bundle", evaluation)


def _register(settings: Settings, emulator: LocalEmulator, job: str, body: bytes, evaluation: dict[str, object]) -> ModelVersion:
    resources = emulator.resources
    assert resources is not None
    key = f"{settings.model_prefix}/{job}/output/model.tar.gz"
    client("s3").put_object(Bucket=resources.artifact_bucket, Key=key, Body=body)
    evaluation = {**evaluation, "lineage": {"git": {"commit": "test"}, "data": {"uri": "inline"}, "training_job": {"name": job}}}
    reg = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    version, _ = reg.register(model_data_url=f"s3://{resources.artifact_bucket}/{key}", evaluation=evaluation, image="sklearn-image",
                              training_job_name=job, training_job_arn=f"arn:aws:sagemaker:{resources.region}:{resources.account}:training-job/{job}")
    return version if version.status == "Approved" else reg.approve(version.version, "tests", "tests")


def _exists(namespace: str, name: str, dimensions: dict[str, str]) -> bool:
    found = client("cloudwatch").list_metrics(Namespace=namespace, MetricName=name,
                                              Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()])["Metrics"]
    return any({d["Name"]: d["Value"] for d in m["Dimensions"]} == dimensions for m in found)


def _missing(wanted: list[tuple[str, str, dict[str, str]]]) -> list[tuple[str, str, dict[str, str]]]:
    return [w for w in wanted if not _exists(*w)]


def _wait_for(wanted: list[tuple[str, str, dict[str, str]]], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while _missing(wanted) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _missing(wanted), _missing(wanted)


def test_every_alarm_watches_a_metric_the_emulator_holds_after_its_action(settings: Settings, emulator: LocalEmulator) -> None:
    want = expected(settings)
    assert set(want) | set(elsewhere(settings)) == {spec.name for spec in alarm_specs(settings)}, "an alarm is not covered here"
    p = settings.project
    resources = emulator.resources
    assert resources is not None
    frame = customers(rows=600, seed=5)
    good = register_trained(settings, resources, frame, "churned", params={"C": 0.1}, name="good", approve=True)
    reg, rec = registry(settings, resources), record(resources)
    deploy(reg, rec, good.version, reason="first", by="tests")
    everything = [w for metrics in want.values() for w in metrics]
    assert _missing(everything) == everything  # none exists before its action

    # No earlier version to go back to: the alarm's SNS action runs the rollback handler, which cannot roll back.
    cloudwatch = client("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName=f"{p}-serving-error-rate", StateValue="ALARM", StateReason="tests: threshold crossed")
    _wait_for(want[f"{p}-rollback-impossible"])
    cloudwatch.set_alarm_state(AlarmName=f"{p}-serving-error-rate", StateValue="OK", StateReason="tests")

    faulty = _faulty(settings, emulator, frame)
    unloadable = _unloadable(settings, emulator, dict(good.evaluation))
    other = register_trained(settings, resources, frame, "churned", params={"C": 1.0}, name="other", approve=True)

    # lightship serve --metrics cloudwatch: the app's EMF lines go out as the serving function's.
    tuned = settings.model_copy(update={"serving": settings.serving.model_copy(update={"record_ttl_seconds": 0.0, "capture_sample_rate": 0.0})})
    shipper = LogShipper(names_for(settings).serving_function, interval=0.2)
    serving = build_serving(tuned, metric_sinks=[shipper])
    api = TestClient(serving.app)

    def traffic(n: int = 4) -> list[int]:
        return [api.post("/v1/predict", json={"instances": [GOOD]}, headers={"x-lightship-routing-key": f"k{i}"}).status_code
                for i in range(n)]

    try:
        assert set(traffic()) == {200}
        _wait_for(want[f"{p}-serving-error-rate"] + want[f"{p}-serving-p99-latency"])
        assert _missing(want[f"{p}-candidate-error-rate"]) == want[f"{p}-candidate-error-rate"]  # no candidate yet

        for version, mode in ((faulty, CANARY), (unloadable, CANARY), (other, SHADOW)):
            started = controller.start(reg, rec, version.version, Plan(mode, (100.0,), 60.0, 1, 1), reason="tests", by="tests")
            assert started.release is not None
            controller.set_step(rec, started.release.id, 0, by="tests")
            traffic()
            time.sleep(0.3)  # the shadow worker scores after the answer
            controller.abort(rec, reg, started.release.id, reason="tests: done", by="tests", reject=False)
        _wait_for(want[f"{p}-candidate-error-rate"] + want[f"{p}-candidate-p99-latency"]
                  + want[f"{p}-candidate-model-failures"] + want[f"{p}-shadow-disagreement"])

        deploy(reg, rec, faulty.version, reason="tests: the faulty one", by="tests")
        assert set(traffic()) == {500}
        deploy(reg, rec, unloadable.version, reason="tests: one that cannot load", by="tests")
        traffic(1)
        _wait_for(want[f"{p}-serving-model-failures"])
    finally:
        serving.close()
        shipper.close()
    group = client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{names_for(settings).serving_function}")["logStreams"]
    assert group, "the lines themselves are in the serving function's log group too"

    # The serving Lambda fails an invocation it cannot read (not an API Gateway event): Lambda counts an error.
    response = client("lambda").invoke(FunctionName=names_for(settings).serving_function, Payload=json.dumps({"not": "an API request"}).encode())
    assert response.get("FunctionError") == "Unhandled"
    _wait_for(want[f"{p}-serving-function-errors"])
