"""``lightship checklist`` and ``lightship train --verify`` on the emulator: the wiring (one set-up per module).

Version 2 is trained through the real training job path and deployed, version 1 (its rollback target) in process; ``train --verify 2``
re-runs it from its lineage and records a match without registering anything; the checklist then exits
non-zero on the answers that are no (capture switched off, a card without limitations), prints Markdown,
writes the card to S3 and records its address on the registry version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from lightship.cli.main import main
from lightship.clients import client
from lightship.datasets import customers
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.local.emulator import LocalEmulator
from lightship.registry.model_registry import ModelRegistry
from lightship.resources import Resources
from lightship.settings import Settings
from lightship.training.workflow import AwsClients, TrainRequest, train_and_register
from tests.support.models import register_trained

INTENDED_USE = "Rank current customers for retention calls <weekly>."


@dataclass
class World:
    resources: Resources
    registry: ModelRegistry


@pytest.fixture(scope="module")
def world(emulator_session: LocalEmulator, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> World:
    emulator_session.reset()
    resources = emulator_session.resources
    assert resources is not None
    folder = tmp_path_factory.mktemp("checklist")
    data = folder / "customers.csv"
    customers(rows=1000, seed=7).to_csv(data, index=False)
    # Next to the data, as a user would put it: train uploads it; no limitations, so the card shows them missing.
    (folder / "model_card.json").write_text(json.dumps({"intended_use": INTENDED_USE, "owner": "churn team"}))
    # Version 1, the rollback target, is trained in process (no job: it is never re-run here); version 2 by a job.
    register_trained(settings, resources, customers(rows=1000, seed=8), "churned", params={"C": 0.0001}, approve=True)
    clients = AwsClients(s3=client("s3"), sagemaker=client("sagemaker"), sts=client("sts"))
    train_and_register(TrainRequest(data=str(data), target="churned", model="logistic", params={"C": 1.0}),
                       settings, resources, clients, poll_seconds=0.1)
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    if registry.version(2).status != "Approved":
        registry.approve(2, "checklist test", "tests")
    deploy(registry, DeploymentRecord(client("dynamodb"), resources.deployment_table), 2, reason="checklist test", by="tests")
    return World(resources=resources, registry=registry)


def test_train_verify_reruns_the_version_from_its_lineage_and_records_a_match(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    jobs_before = client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert main(["train", "--verify", "2"]) == 0
    assert "re-run matched" in capsys.readouterr().out
    stored = client("s3").get_object(Bucket=world.resources.artifact_bucket, Key="reproducibility/v2.json")
    record = json.loads(stored["Body"].read())
    assert record["matched"] is True
    assert [(c["name"], c["passed"]) for c in record["checks"]] == [("data", True), ("metrics", True), ("predictions", True)]
    original = world.registry.version(2)
    assert record["checks"][1]["original"] == original.metrics
    assert record["code"]["commit"] == original.lineage["git"]["commit"]
    assert record["rerun"]["rows"] == 1000
    jobs_after = client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert len(jobs_after) == len(jobs_before) + 1, "one job re-ran"
    assert [v.version for v in world.registry.versions()] == [2, 1], "and nothing was registered"


def test_checklist_exits_non_zero_on_a_no_prints_markdown_and_records_the_card(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LIGHTSHIP_SERVING__CAPTURE_SAMPLE_RATE", "0")
    assert main(["checklist", "--format", "markdown"]) == 1  # the live version, 2
    out = capsys.readouterr().out
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1] for line in out.splitlines() if line.startswith("| ") and "**" in line}
    assert rows["Are predictions and inputs logged?"] == "**no**"
    assert rows["Is there a rollback to an earlier trusted model?"] == "**yes**"
    assert rows["Is drift monitored with alert thresholds?"] == "**unknown**"  # no batch run yet
    assert rows["Live API or batch job?"] == "**yes**"
    assert rows["Are alarms wired to roll it back?"] == "**yes**"
    assert rows["Does it carry a model card with intended use and limitations?"] == "**no**"
    card_uri = f"s3://{world.resources.artifact_bucket}/model-cards/v2.html"
    assert f"Model card: `{card_uri}`" in out

    page = client("s3").get_object(Bucket=world.resources.artifact_bucket, Key="model-cards/v2.html")["Body"].read().decode()
    assert "Rank current customers for retention calls &lt;weekly&gt;." in page
    limitations = page.split("<h2>Limitations</h2>", 1)[1].split("<h2>", 1)[0]
    assert "missing" in limitations and "churn team" in page
    described = client("sagemaker").describe_model_package(ModelPackageName=world.registry.arn_for(2))
    assert described["CustomerMetadataProperties"]["model_card"] == card_uri
    assert described["ModelApprovalStatus"] == "Approved", "recording the card leaves the status alone"


def test_checklist_of_the_first_version_has_no_rollback_target_and_no_rerun(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    # Version 1 has no data on S3 in its lineage, so no model_card.json: the options give the card's text.
    assert main(["checklist", "--version", "1", "--format", "json", "--intended-use", "Retention calls.",
                 "--limitations", "Trained on synthetic data."]) == 1
    answers = {a["key"]: a for a in json.loads(capsys.readouterr().out)["answers"]}
    assert answers["rollback"]["verdict"] == "no"
    assert answers["reproducible"]["verdict"] == "no" and "--verify 1" in answers["reproducible"]["detail"]
    assert answers["serving"]["verdict"] == "unknown"  # version 2 is live
    assert answers["card"]["verdict"] == "yes"
    page = client("s3").get_object(Bucket=world.resources.artifact_bucket, Key="model-cards/v1.html")["Body"].read().decode()
    assert "Trained on synthetic data." in page and "command-line options" in page
    # Priced at the stage throttle (100 req/s by default) on the synthesized batch machine.
    assert answers["cost"]["verdict"] == "yes" and "per million predictions at 100 req/s" in answers["cost"]["detail"]
    assert answers["cost"]["evidence"][0].startswith("lightship estimate --rps 100 --batch-rows ")
