"""Demo chapter: a broken version goes live, its alarm fires, the rollback handler puts the good one back.

Runs after the serving chapter (it uses the server, the deployed version and the
metrics sink in ``story.state``). It registers and approves a version whose model
fails at predict time for a share of inputs (:mod:`lightship.demo.faulty_model`),
deploys it, drives traffic through the local server, publishes the serving metrics to
the emulator's CloudWatch (as CloudWatch Logs does with EMF), puts the error-rate
alarm into ALARM with ``set_alarm_state`` (moto evaluates no alarms; AWS's own tests
of alarm actions do the same), and lets the emulator deliver it as AWS would: alarm
action -> rollback topic -> the rollback Lambda's handler. Then it shows requests
served by the good version again, the broken version Rejected with the reason, the
record's history, the alerts people received, and a redelivered alarm changing nothing.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rich.table import Table

from lightship import observability as names
from lightship.bundle.model_bundle import pack_bundle
from lightship.present.history import history_table
from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.faulty_model import FaultyModel
from lightship.demo.story import Story
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.deployment.status import deployment_status
from lightship.local.alerts_inbox import AlertsInbox
from lightship.local.emf import publish_emf
from lightship.monitoring.alarms import serving_dimensions
from lightship.polling import wait_until
from lightship.registry.model_registry import APPROVED, ModelRegistry, ModelVersion
from lightship.serving.client import PredictClient
from lightship.serving.logs import logger as serving_logger
from lightship.training.data import load_training_data
from lightship.training.run import train, write

FAILURE_SHARE = 0.4
TRAFFIC = 60


def rollback(story: Story) -> None:
    settings, resources = story.settings, story.resources
    good = int(story.state["deployed_version"])
    api = PredictClient(str(story.state["serving_url"]))
    story.cleanup.callback(api.close)
    documents: list[dict[str, Any]] = story.state["serving_metrics"]
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    record = DeploymentRecord(client("dynamodb"), resources.deployment_table)
    inbox = AlertsInbox(resources.alerts_topic_arn, "demo-alerts-inbox")
    # The rollback handler runs in this process (as the Lambda would in AWS); its JSON log lines and
    # metrics go to its log group and the demo's log file (lightship.local.function_logs), and the
    # chapter tells what it did instead.

    broken = _register_faulty_version(story, registry)
    story.fact(f"register version {broken.version}", f"{broken.status}: offline metrics fine, fails on {FAILURE_SHARE:.0%} of live inputs")
    deploy(registry, record, broken.version, reason="demo: release the new version", by="demo")
    level = serving_logger.log_level
    serving_logger.setLevel("ERROR")  # its "served by scikit-learn" warning is expected: told as a fact below
    try:
        wait_until(lambda: api.health().body.get("model_version") == broken.version, f"serving to load version {broken.version}")
    finally:
        serving_logger.setLevel(level)
    story.fact(f"deploy version {broken.version}", f"serving switched to version {broken.version} within the record TTL")
    story.fact(f"version {broken.version} runtime", f"scikit-learn ({broken.runtime_reason}); the serving Lambda would "
                                                    "keep the old version, lightship serve falls back and counts it")

    first = len(documents)
    served = _traffic(api, story.state["sample_instances"], seed=2024)
    story.console.print(_traffic_table(f"{TRAFFIC} requests while version {broken.version} is live", served))
    story.state["serving"].runtime.metrics.flush()
    datums = publish_emf(client("cloudwatch"), documents[first:])
    requests, errors = _serving_totals(broken.version)
    rate = errors / requests if requests else 0.0
    threshold = settings.alarms.error_rate_threshold
    story.fact(
        "metrics in CloudWatch (emulator)",
        f"{datums} datums from the app's EMF; version {broken.version}: {int(requests)} requests, {int(errors)} 5xx, "
        f"error rate {rate:.0%} (alarm threshold {threshold:.0%})",
    )
    if rate <= threshold:
        raise AssertionError(f"the faulty version's error rate {rate:.2f} did not cross {threshold}")

    alarm = resources.serving_error_alarm
    reason = f"Threshold Crossed: 1 datapoint [{rate:.4f}] was greater than the threshold ({threshold})"
    client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason=reason)
    story.console.print(f"set_alarm_state {alarm} -> ALARM; the emulator delivers it: alarm action -> SNS {resources.rollback_topic} -> Lambda {resources.rollback_function}")
    live = wait_until(lambda: (lambda d: d if d is not None and d.version == good else None)(record.live()), "the rollback handler")
    story.fact(f"alarm {alarm} -> rollback", f"record revision {live.revision}: version {good} live again ({live.action} by {live.by})")

    wait_until(lambda: api.health().body.get("model_version") == good, f"serving to switch back to version {good}")
    after = _traffic(api, story.state["sample_instances"], seed=7, count=20)
    story.console.print(_traffic_table("20 requests after the rollback", after))
    if set(after) != {(200, good)}:
        raise AssertionError(f"after the rollback, requests were answered {dict(after)}")
    story.fact("requests after the rollback", f"{sum(after.values())} x 200 from version {good}, no redeploy")

    rejected = registry.version(broken.version)
    story.fact(f"version {broken.version} in the registry", f"{rejected.status}: {rejected.approval_description}")
    story.console.print(history_table(deployment_status(record, limit=10)))

    watcher = story.emulator.alarm_watcher if story.emulator else None
    delivered = [d for d in (watcher.deliveries if watcher else []) if d.alarm == alarm and d.topic_arn.endswith(f":{resources.rollback_topic}")]
    if delivered:
        revision = live.revision
        client("sns").publish(TopicArn=delivered[-1].topic_arn, Subject="ALARM (redelivered)", Message=delivered[-1].message)
        again = record.live()
        assert again is not None
        if again.revision != revision:
            raise AssertionError("a redelivered alarm changed the record")
        story.fact("the same alarm delivered again", f"ignored: record still at revision {revision}, version {again.version}")

    subjects = [m.get("Subject", "") for m in inbox.messages()]
    story.fact("alerts topic", f"{len(subjects)} messages: " + "; ".join(subjects))


def _register_faulty_version(story: Story, registry: ModelRegistry) -> ModelVersion:
    """Train a good pipeline, evaluate it (fine), then ship it wrapped in a defect, approved."""
    data = Path(story.state["training_data"])
    result = train(load_training_data(data, "churned"), "logistic", {"C": 0.5})
    result.pipeline = FaultyModel(result.pipeline, failure_share=FAILURE_SHARE)
    # The defect lives in the wrapper, which has no ONNX form: this version is served by scikit-learn.
    result.without_onnx("demo: a deliberately faulty model wrapped around the pipeline after conversion")
    job = "demo-faulty-release"
    with tempfile.TemporaryDirectory() as tmp:
        body = pack_bundle(write(result, Path(tmp) / "model"))
    key = f"{story.settings.model_prefix}/{job}/output/model.tar.gz"
    client("s3").put_object(Bucket=story.resources.artifact_bucket, Key=key, Body=body)
    evaluation = dict(result.evaluation)
    evaluation["lineage"] = {"git": {"commit": "demo"}, "data": {"uri": str(data)}, "training_job": {"name": job}}
    version, _ = registry.register(
        model_data_url=f"s3://{story.resources.artifact_bucket}/{key}",
        evaluation=evaluation,
        image="demo",
        training_job_name=job,
        training_job_arn=f"arn:aws:sagemaker:{story.resources.region}:{story.resources.account}:training-job/{job}",
    )
    if version.status != APPROVED:
        version = registry.approve(version.version, "demo: offline evaluation passed", "demo")
    return version


def _traffic(api: PredictClient, template: list[dict[str, Any]], seed: int, count: int = TRAFFIC) -> Counter[tuple[int, int | None]]:
    """One-instance requests; counts (HTTP status, version that answered)."""
    frame = customers(rows=count, seed=seed).drop(columns=["churned"])
    keys = list(template[0])
    served: Counter[tuple[int, int | None]] = Counter()
    level = serving_logger.log_level
    serving_logger.setLevel("CRITICAL")  # the broken model's tracebacks are expected; counted below instead
    try:
        for row in frame.to_dict(orient="records"):
            instance = {k: (None if row[k] is None or row[k] != row[k] else row[k]) for k in keys}
            response = api.predict([instance])
            served[(response.status, response.body.get("model_version"))] += 1
    finally:
        serving_logger.setLevel(level)
    return served


def _traffic_table(title: str, served: Counter[tuple[int, int | None]]) -> Table:
    table = Table(title=title)
    for column in ("HTTP status", "model version", "requests"):
        table.add_column(column)
    for (status, version), count in sorted(served.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        table.add_row(str(status), str(version), str(count))
    return table


def _serving_totals(version: int) -> tuple[float, float]:
    """Requests and 5xx of the last 15 minutes served by ``version``.

    The alarm watches the function-wide ``{service}`` series, which here holds the same
    requests; it is not queried because moto matches a dimension *subset* (it would add
    the per-version series too), where CloudWatch matches the exact set.
    """
    cloudwatch = client("cloudwatch")
    now = datetime.now(timezone.utc)
    dimensions = [{"Name": k, "Value": v} for k, v in serving_dimensions()]
    dimensions.append({"Name": names.DIMENSION_MODEL_VERSION, "Value": str(version)})
    totals = []
    for metric in (names.REQUESTS, names.ERRORS_5XX):
        points = cloudwatch.get_metric_statistics(
            Namespace=names.NAMESPACE, MetricName=metric, Dimensions=dimensions,
            StartTime=now - timedelta(minutes=15), EndTime=now + timedelta(minutes=1), Period=60, Statistics=["Sum"],
        )["Datapoints"]
        totals.append(sum(p["Sum"] for p in points))
    return totals[0], totals[1]
