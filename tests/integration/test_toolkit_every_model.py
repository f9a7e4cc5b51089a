"""Every model kind trains through SageMaker's own training toolkit on the emulator.

For each name the training code accepts (``lightship.settings.MODEL_NAMES``), a job runs
``train.py`` through ``sagemaker-training`` (the scikit-learn container's ``train`` command) and
ends ``Completed``; the toolkit's logged command line carries the hyperparameters in its own form:
one dash for a one-letter name (LogisticRegression's ``C``: the bug that failed every such job on
SageMaker), two for the others. Tiny data and small estimators keep each job to the toolkit's own
few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lightship.clients import client
from lightship.datasets import customers
from lightship.local.emulator import LocalEmulator
from lightship.settings import MODEL_NAMES, GateSettings, Settings
from lightship.training.models import accepted_params
from lightship.training.workflow import AwsClients, TrainRequest, train_and_register

# A cheap setting per kind where one exists; the one-letter parameter is added below wherever the kind has one.
SMALL: dict[str, dict[str, Any]] = {"random_forest": {"n_estimators": 5}, "hist_gradient_boosting": {"max_iter": 5}}


def _params(model: str) -> dict[str, Any]:
    one_letter = sorted(p for p in accepted_params(model, "classification") if len(p) == 1)
    return {**SMALL.get(model, {}), **{name: 0.5 for name in one_letter}}


def _expected_arguments(params: dict[str, Any]) -> list[str]:
    """The toolkit's rule, written out: ``-X value`` for a one-letter name, ``--name value`` otherwise."""
    return [f"{'-' if len(name) == 1 else '--'}{name} {value}" for name, value in params.items()]


def test_the_kinds_cover_a_one_letter_parameter() -> None:
    assert any(len(p) == 1 for model in MODEL_NAMES for p in _params(model))  # else the test below would miss the bug


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_model_kind_trains_through_the_toolkit(model: str, emulator: LocalEmulator, settings: Settings, tmp_path: Path) -> None:
    assert emulator.resources is not None
    data = tmp_path / "customers.csv"
    customers(rows=300, seed=11).to_csv(data, index=False)
    params = _params(model)
    request = TrainRequest(data=str(data), target="churned", model=model, params=params)
    gated = settings.model_copy(update={"gate": GateSettings(classification_min=0.0)})
    clients = AwsClients(s3=client("s3"), sagemaker=client("sagemaker"), sts=client("sts"))
    outcome = train_and_register(request, gated, emulator.resources, clients, poll_seconds=0.1)

    sagemaker = client("sagemaker")
    assert sagemaker.describe_training_job(TrainingJobName=outcome.job.name)["TrainingJobStatus"] == "Completed"
    assert outcome.version.evaluation["model"] == model
    logs = client("logs")
    (stream,) = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=outcome.job.name)["logStreams"]
    lines = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"])["events"]]
    (command,) = [line for line in lines if "train.py" in line and line.strip().endswith("--target churned")]
    assert f"--model {model}" in command
    for argument in _expected_arguments(params):
        assert f" {argument} " in command, (argument, command)
