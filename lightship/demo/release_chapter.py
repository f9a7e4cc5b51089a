"""Demo chapter: release gradually. A good version through canary steps to promotion, a faulty version's
canary aborted by its alarm, and a shadow run with its report.

Runs after the rollback chapter (it uses the local server, its metrics sink and the sample
instances in ``story.state``). Each release is written into the deployment record and
driven by the release state machine the release stack synthesizes, executed by the
emulator with bake times of seconds. Traffic goes through the local server; a thread
publishes the serving app's EMF to the emulator's CloudWatch (as CloudWatch Logs would),
where the machine's checks count the candidate's requests.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lightship.present.history import history_table
from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.faulty_model import FaultyModel
from lightship.demo.story import Story
from lightship.deployment.record import DeploymentRecord
from lightship.deployment.status import deployment_status
from lightship.bundle.model_bundle import pack_bundle
from lightship.local.emf import publish_emf
from lightship.polling import wait_until
from lightship.registry.model_registry import APPROVED, ModelRegistry, ModelVersion
from lightship.release import controller
from lightship.release.controller import Plan
from lightship.release.launch import launch
from lightship.release.report import build_report, read_records, write_report
from lightship.deployment.release_state import CANARY, SHADOW
from lightship.serving.client import PredictClient
from lightship.serving.logs import logger as serving_logger
from lightship.training.data import load_training_data
from lightship.training.run import train, write

BAKE_SECONDS = 4.0
MIN_REQUESTS = 3


class _Traffic:
    """One-instance requests from a thread through the local server, and the app's metrics to CloudWatch."""

    def __init__(self, story: Story) -> None:
        self.api = PredictClient(str(story.state["serving_url"]))
        frame = customers(rows=200, seed=31).drop(columns=["churned"])
        keys = list(story.state["sample_instances"][0])
        self.instances = [{k: (None if row[k] is None or row[k] != row[k] else row[k]) for k in keys}
                          for row in frame.to_dict(orient="records")]
        self.documents: list[dict[str, Any]] = story.state["serving_metrics"]
        self.served: Counter[tuple[int, int | None]] = Counter()
        self._published = len(self.documents)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._publish()
        self.api.close()

    def _publish(self) -> None:
        end = len(self.documents)
        if end > self._published:
            publish_emf(client("cloudwatch"), self.documents[self._published:end])
            self._published = end

    def _run(self) -> None:
        level = serving_logger.log_level
        serving_logger.setLevel("CRITICAL")  # a faulty candidate's tracebacks are expected; counted instead
        try:
            i = 0
            while not self._stop.is_set():
                response = self.api.predict([self.instances[i % len(self.instances)]])
                self.served[(response.status, response.body.get("model_version"))] += 1
                i += 1
                if i % 10 == 0:
                    self._publish()
                self._stop.wait(0.04)
        finally:
            serving_logger.setLevel(level)


def release(story: Story) -> None:
    settings, resources = story.settings, story.resources
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    record = DeploymentRecord(client("dynamodb"), resources.deployment_table)
    sfn = client("stepfunctions")
    machine = resources.state_machine_arn(resources.release_state_machine)
    for name in ("rollback", "lightship.rollback", "release"):
        logging.getLogger(name).setLevel(logging.ERROR)
    live = record.live()
    assert live is not None
    story.console.print(f"live: version {live.version}; each release bakes {BAKE_SECONDS:g} s per step "
                        f"and needs {MIN_REQUESTS} candidate requests per step")

    # 1. A good version, 10 % -> 50 % -> 100 %, then promoted.
    good = _register(story, registry, "demo-release-good", {"C": 0.2})
    plan = Plan(CANARY, (10.0, 50.0, 100.0), BAKE_SECONDS, MIN_REQUESTS, 3)
    with _Traffic(story) as traffic:
        launched = launch(registry, record, sfn, machine, good.version, plan, reason="demo: canary release", by="demo")
        finished = _wait(sfn, launched.execution_arn)
    after = record.live()
    assert after is not None
    if finished["status"] != "SUCCEEDED" or after.version != good.version:
        raise AssertionError(f"the canary of version {good.version} was not promoted: {finished['status']}, live {after.version}")
    story.fact(f"canary of version {good.version}", f"10 % -> 50 % -> 100 %, promoted: live is version {after.version}, "
                                                     f"version {after.previous_version} is the rollback target")
    story.fact("requests during the canary", _served(traffic.served))

    # 2. A faulty version: its canary's alarm aborts it; the live version keeps answering.
    faulty = _register(story, registry, "demo-release-faulty", {"C": 0.5}, failure_share=0.5)
    plan = Plan(CANARY, (20.0,), 60.0, MIN_REQUESTS, 3)
    with _Traffic(story) as traffic:
        launched = launch(registry, record, sfn, machine, faulty.version, plan, reason="demo: canary of a faulty version", by="demo")
        wait_until(lambda: sum(n for (status, v), n in traffic.served.items() if v == faulty.version) >= 10,
                   "the canary to answer some requests", timeout=60)
        alarm = resources.candidate_error_alarm
        client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM",
                                             StateReason="Threshold Crossed: the candidate's 5xx share is above the threshold")
        aborted = wait_until(lambda: (lambda d: d if d is not None and d.action == "release_abort" else None)(record.live()),
                             "the alarm to abort the release", timeout=20)
        time.sleep(settings.serving.record_ttl_seconds if settings.serving.record_ttl_seconds < 3 else 2.5)
        mark = Counter(traffic.served)
        time.sleep(2.0)
        later = traffic.served - mark
    finished = _wait(sfn, launched.execution_arn)
    story.fact(f"alarm {alarm} -> abort", f"record revision {aborted.revision}: version {aborted.version} stays live; "
                                          f"state machine {finished['status']}")
    story.fact("requests during the faulty canary", _served(traffic.served))
    if set(later) - {(200, aborted.version)}:
        raise AssertionError(f"after the abort, requests were answered {dict(later)}")
    story.fact("requests after the abort", f"{sum(later.values())} x 200 from version {aborted.version}")
    story.fact(f"version {faulty.version} in the registry", f"{registry.version(faulty.version).status}: "
                                                            f"{registry.version(faulty.version).approval_description}")
    client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="demo: the faulty canary is gone")

    # 3. A shadow: the candidate scores every request, answers none; then its report.
    shadowed = _register(story, registry, "demo-release-shadow", {"C": 0.01})
    plan = Plan(SHADOW, (100.0,), BAKE_SECONDS, MIN_REQUESTS, 3)
    with _Traffic(story) as traffic:
        launched = launch(registry, record, sfn, machine, shadowed.version, plan, reason="demo: shadow", by="demo")
        finished = _wait(sfn, launched.execution_arn)
    story.state["serving"].flusher.run_once(force=True)
    release_id = launched.outcome.release.id if launched.outcome.release else ""
    answered = {v for (_, v) in traffic.served}
    story.fact(f"shadow of version {shadowed.version}", f"state machine {finished['status']}; every answer came from "
                                                        f"version(s) {sorted(v for v in answered if v is not None)}")
    report = build_report(release_id, read_records(client("s3"), resources.data_bucket, settings.release.prefix, release_id))
    json_key, _ = write_report(client("s3"), resources.data_bucket, settings.release.prefix, report)
    agreement = "–" if report.agreement_rate is None else f"{report.agreement_rate:.1%}"
    story.fact("shadow report", f"{report.requests} requests, agreement {agreement}, max |Δp| {report.max_abs_delta or 0:.3f}, "
                                f"candidate p50 {report.latency_ms['candidate']['p50'] or 0:.2f} ms, errors {report.errors}; "
                                f"s3://{resources.data_bucket}/{json_key}")
    ended = controller.abort(record, registry, release_id, reason="demo: shadow evidence read, not promoting", by="demo", reject=False)
    story.fact("shadow ended", ended.message)
    story.console.print(history_table(deployment_status(record, limit=12)))


def _wait(sfn: Any, execution_arn: str, timeout: float = 180.0) -> dict[str, Any]:
    described: dict[str, Any] = wait_until(
        lambda: (lambda d: d if d["status"] != "RUNNING" else None)(sfn.describe_execution(executionArn=execution_arn)),
        "the release state machine", timeout=timeout)
    return described


def _served(served: Counter[tuple[int, int | None]]) -> str:
    return ", ".join(f"{n} x {status} from version {v}" for (status, v), n in sorted(served.items(), key=lambda i: (str(i[0][1]), i[0][0])))


def _register(story: Story, registry: ModelRegistry, job: str, params: dict[str, Any], failure_share: float = 0.0) -> ModelVersion:
    """Train, register and approve a version (optionally wrapped in a defect that fails on a share of inputs)."""
    data = Path(story.state["training_data"])
    result = train(load_training_data(data, "churned"), "logistic", params)
    if failure_share:
        result.pipeline = FaultyModel(result.pipeline, failure_share=failure_share)
    with tempfile.TemporaryDirectory() as tmp:
        body = pack_bundle(write(result, Path(tmp) / "model"))
    key = f"{story.settings.model_prefix}/{job}/output/model.tar.gz"
    client("s3").put_object(Bucket=story.resources.artifact_bucket, Key=key, Body=body)
    evaluation = dict(result.evaluation)
    evaluation["lineage"] = {"git": {"commit": "demo"}, "data": {"uri": str(data)}, "training_job": {"name": job}}
    version, _ = registry.register(
        model_data_url=f"s3://{story.resources.artifact_bucket}/{key}", evaluation=evaluation, image="demo",
        training_job_name=job, training_job_arn=f"arn:aws:sagemaker:{story.resources.region}:{story.resources.account}:training-job/{job}",
    )
    if version.status != APPROVED:
        version = registry.approve(version.version, "demo: offline evaluation passed", "demo")
    return version
