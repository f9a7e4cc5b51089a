"""An unknown ``--param`` fails before anything is uploaded or launched, naming the accepted names.

The names come from one place (:func:`lightship.training.models.accepted_params`), which
the training job itself also applies (``build_pipeline``); on SageMaker a refusal inside
the job costs minutes and money, so ``lightship train`` and the workflow check first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lightship.cli.main import main
from lightship.errors import DataError
from lightship.resources import resources_for
from lightship.settings import load_settings
from lightship.training.models import RESERVED_HYPERPARAMETERS, accepted_params, build_pipeline, check_params
from lightship.training.workflow import AwsClients, TrainRequest, train_and_register


class NoCallsExpected:
    """An AWS client that records any call: none may happen before the parameters are checked."""

    def __init__(self, calls: list[str], service: str) -> None:
        self._calls, self._service = calls, service

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(f"{self._service}.{name}")
            raise AssertionError(f"{self._service}.{name} called before the parameters were checked")

        return call


def _run(data: str, model: str, params: dict[str, Any]) -> list[str]:
    calls: list[str] = []
    clients = AwsClients(s3=NoCallsExpected(calls, "s3"), sagemaker=NoCallsExpected(calls, "sagemaker"), sts=NoCallsExpected(calls, "sts"))
    settings = load_settings({})
    with pytest.raises(DataError) as refused:
        train_and_register(TrainRequest(data=data, target="churned", model=model, params=params), settings, resources_for(settings, "123456789012"), clients)
    assert calls == []
    return [str(refused.value)]


def test_an_unknown_param_fails_before_any_upload_or_training_job(customers_csv: Path) -> None:
    (message,) = _run(str(customers_csv), "random_forest", {"max_dept": 3})
    assert message.startswith("unknown parameter(s) max_dept for model 'random_forest' (classification); valid: ")
    assert "max_depth" in message and "\n" not in message


def test_a_param_of_the_other_task_fails_once_the_local_data_shows_the_task(customers_csv: Path) -> None:
    # Ridge (regression) has alpha, LogisticRegression (classification) has not: churned is a class.
    (message,) = _run(str(customers_csv), "logistic", {"alpha": 1.0})
    assert "unknown parameter(s) alpha for model 'logistic' (classification)" in message


def test_a_param_no_task_accepts_fails_before_touching_s3_data() -> None:
    (message,) = _run("s3://lightship-data-123456789012-us-east-1/training/x/", "hist_gradient_boosting", {"n_estimators": 10})
    assert message.startswith("unknown parameter(s) n_estimators for model 'hist_gradient_boosting'; valid: ")
    assert "max_iter" in message


def test_a_reserved_hyperparameter_cannot_be_overwritten_by_a_param(customers_csv: Path) -> None:
    (message,) = _run(str(customers_csv), "logistic", {"seed": 3, "target": "x"})
    assert "unknown parameter(s) seed, target" in message


def test_the_cli_refuses_before_any_aws_call(customers_csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: any AWS call would fail differently
    code = main(["train", "--data", str(customers_csv), "--target", "churned", "--model", "random_forest", "--param", "max_dept=3"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: unknown parameter(s) max_dept for model 'random_forest' (classification); valid: ")
    assert len(err.strip().splitlines()) == 1


def test_the_job_accepts_exactly_the_names_the_check_accepts(customers_data) -> None:  # type: ignore[no-untyped-def]
    from lightship.training.features import infer_schema

    schema = infer_schema(customers_data.frame, customers_data.target, customers_data.task)
    for name in accepted_params("random_forest", "classification"):
        check_params("random_forest", {name: None}, "classification")  # no refusal
    with pytest.raises(DataError, match="max_dept"):
        build_pipeline(schema, "random_forest", {"max_dept": 3}, seed=1)
    assert not RESERVED_HYPERPARAMETERS & set(accepted_params("logistic", None))


@pytest.fixture
def customers_data(customers_csv: Path):  # type: ignore[no-untyped-def]
    from lightship.training.data import load_training_data

    return load_training_data(customers_csv, "churned")
