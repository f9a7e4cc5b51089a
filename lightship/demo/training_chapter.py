"""Demo chapter: train three versions with different settings, let the gate decide, list them,
and show that bad data is refused with a clear message and nothing registered."""

from __future__ import annotations

from lightship.clients import client
from lightship.present.versions import versions_table
from lightship.datasets import customers
from lightship.demo.story import Story
from lightship.deployment.record import DeploymentRecord
from lightship.errors import DataError
from lightship.registry.model_registry import ModelRegistry
from lightship.training.workflow import AwsClients, TrainRequest, train_and_register

# The gate approves a version only if it beats the champion by gate.min_improvement (0.01 ROC AUC):
# v1 is heavily regularised (approved: no champion yet), v2 is better by more than the margin
# (approved), v3 is worse (held for a person).
RUNS = (
    ("logistic", {"C": 0.0001}),
    ("logistic", {"C": 1.0}),
    ("random_forest", {"max_depth": 5}),
)


def training(story: Story) -> None:
    data = story.workspace / "customers.csv"
    customers(rows=5000, seed=7).to_csv(data, index=False)
    story.state["training_data"] = data
    clients = AwsClients(s3=client("s3"), sagemaker=client("sagemaker"), sts=client("sts"))
    for model, params in RUNS:
        request = TrainRequest(data=str(data), target="churned", model=model, params=params)
        with story.console.status(f"training {model} {params}") as status:
            outcome = train_and_register(
                request, story.settings, story.resources, clients, progress=lambda text: status.update(text)
            )
        v = outcome.version
        story.fact(
            f"train {model} {params}",
            f"job {outcome.job.name} -> version {v.version} {v.status} ({outcome.decision.reason})",
        )
        story.state.setdefault("versions", []).append(v.version)

    bad = story.workspace / "no_target.csv"
    customers(rows=50, seed=1).drop(columns=["churned"]).to_csv(bad, index=False)
    try:
        train_and_register(TrainRequest(data=str(bad), target="churned", model="logistic", params={}), story.settings, story.resources, clients)
    except DataError as exc:
        story.fact("train on a file without the target", f"refused: {exc}")
    else:
        raise AssertionError("training on a file without its target column was not refused")

    registry = ModelRegistry(story.settings, client("sagemaker"), client("s3"), story.resources.artifact_bucket)
    versions = registry.versions()
    live = DeploymentRecord(client("dynamodb"), story.resources.deployment_table).live()
    story.console.print(versions_table(versions, live.version if live else None))
    story.fact("registry", f"{len(versions)} versions: " + ", ".join(f"v{v.version} {v.status}" for v in versions))
