"""Deploy and status against the emulator: the registry decides what may go live, the record keeps the history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from lightship.cli.main import main
from lightship.clients import client
from lightship.deployment.deploy import DeploymentRefused, deploy
from lightship.deployment.record import DeploymentRecord
from lightship.deployment.status import deployment_status
from lightship.local.emulator import LocalEmulator
from lightship.registry.model_registry import ModelRegistry
from lightship.retraining.ledger import RunLedger
from lightship.settings import Settings
from tests.support.models import register_trained


def _parts(settings: Settings, emulator: LocalEmulator) -> tuple[ModelRegistry, DeploymentRecord]:
    resources = emulator.resources
    assert resources is not None
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    return registry, DeploymentRecord(client("dynamodb"), resources.deployment_table)


def test_deploy_writes_who_when_why_and_the_package(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    registry, record = _parts(settings, emulator)

    outcome = deploy(registry, record, v1.version, reason="first release", by="alice")

    live = record.live()
    assert outcome.changed and live == outcome.deployment
    assert (live.version, live.revision, live.action, live.reason, live.by) == (v1.version, 1, "deploy", "first release", "alice")
    assert live.package_arn == v1.arn and live.model_data_url == v1.model_data_url
    assert live.previous_version is None and live.at
    assert live.details_dict["lineage"]["training_job"]["name"] == "job-1"


def test_deploy_refuses_a_version_that_is_not_approved(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    assert emulator.resources is not None
    pending = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-p", approve=False)
    registry, record = _parts(settings, emulator)

    assert pending.status != "Approved"
    with pytest.raises(DeploymentRefused, match=rf"version {pending.version} is {pending.status}.*only Approved"):
        deploy(registry, record, pending.version, reason="try", by="bob")
    assert record.live() is None and record.history() == []


def test_deploying_the_live_version_again_changes_nothing(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    registry, record = _parts(settings, emulator)
    deploy(registry, record, v1.version, reason="first", by="alice")

    again = deploy(registry, record, v1.version, reason="again", by="alice")

    assert not again.changed and again.deployment.revision == 1
    assert len(record.history()) == 1


def test_status_shows_live_previous_and_history_newest_first(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    v2 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 0.5}, name="job-2", approve=True)
    registry, record = _parts(settings, emulator)
    deploy(registry, record, v1.version, reason="first", by="alice")
    deploy(registry, record, v2.version, reason="better auc", by="bob")

    status = deployment_status(record)

    assert status.live is not None and status.live.version == v2.version
    assert status.live.previous_version == v1.version
    assert status.previous is not None and status.previous.version == v1.version
    assert [(e.revision, e.version, e.reason) for e in status.history] == [(2, v2.version, "better auc"), (1, v1.version, "first")]


def test_cli_deploy_and_status(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    assert emulator.resources is not None
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    pending = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-2", approve=False)

    assert main(["deploy", str(v1.version), "--reason", "launch"]) == 0
    assert main(["deploy", str(pending.version)]) == 1
    assert "only Approved versions can be deployed" in capsys.readouterr().err
    assert main(["status", "--json"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["live"]["version"] == v1.version and printed["live"]["reason"] == "launch"
    assert [h["version"] for h in printed["history"]] == [v1.version]


def test_deploying_a_version_without_onnx_warns_that_the_lambda_function_cannot_serve_it(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    onnx = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    legacy = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-2", approve=True,
                              without_onnx="parity missed on the holdout")

    assert main(["deploy", str(onnx.version)]) == 0
    assert "warning" not in capsys.readouterr().out
    assert main(["deploy", str(legacy.version)]) == 0  # allowed: lightship serve, the emulator and batch can serve it
    printed = " ".join(capsys.readouterr().out.split())
    assert f"warning: version {legacy.version} has no ONNX model (parity missed on the holdout)" in printed
    assert "the serving Lambda function cannot load it" in printed


def test_status_lists_retraining_runs_when_nothing_is_live_and_limit_applies_to_them(
    emulator: LocalEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    ledger = RunLedger(client("dynamodb"), emulator.resources.deployment_table)
    t0 = datetime(2027, 6, 10, 5, 0, tzinfo=UTC)
    for n in range(3):  # three runs by hand, each ending with nothing to train: six history entries
        run = ledger.begin(f"person:{n}", {"kind": "person", "reason": f"try {n}", "ref": "tests"}, cooldown_hours=24,
                           stale_run_hours=12, now=t0 + timedelta(minutes=10 * n)).run_id
        ledger.finish(run, "no_run", f"quiet-{n}", now=t0 + timedelta(minutes=10 * n + 1))  # short: the table keeps it whole

    assert main(["status", "--limit", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "nothing is live yet" in out and "retraining (newest first)" in out
    assert "quiet-2" in out and "quiet-1" in out
    assert "quiet-0" not in out  # the fourth entry and older are past --limit 3
    assert main(["status", "--json", "--limit", "3"]) == 0
    runs = json.loads(capsys.readouterr().out)["retraining"]
    assert [(r["kind"], r["reason"]) for r in runs] == [
        ("outcome", "quiet-2"), ("trigger", "run " + runs[1]["run_id"] + " started: try 2"), ("outcome", "quiet-1")]
