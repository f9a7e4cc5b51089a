"""The CLI against the emulator: config, models list, approve, reject, train's clear errors."""

import json
from pathlib import Path

import pandas as pd
import pytest

from lightship.cli.main import main
from lightship.local.emulator import LocalEmulator
from lightship.settings import Settings
from tests.support.models import register_trained


def test_config_prints_the_resolved_names_the_stacks_use(emulator: LocalEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["account"] == "123456789012"
    assert config["data_bucket"] == emulator.resources.data_bucket  # type: ignore[union-attr]
    assert config["model_package_group"] == "lightship-models"
    assert config["gate"]["classification_metric"] == "roc_auc"


def test_models_list_shows_status_metrics_and_lineage(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    register_trained(settings, emulator.resources, customers_frame, "churned", name="job-a", approve=True)  # type: ignore[arg-type]
    second = register_trained(settings, emulator.resources, customers_frame, "churned", model="random_forest", name="job-b")  # type: ignore[arg-type]
    assert main(["reject", str(second.version), "--reason", "worse than v1"]) == 0
    capsys.readouterr()
    assert main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["status"]) for r in rows] == [(2, "Rejected"), (1, "Approved")]
    assert rows[1]["lineage"]["training_job"]["name"] == "job-a"
    assert "roc_auc" in rows[1]["metrics"]
    assert main(["models", "list"]) == 0
    table = capsys.readouterr().out
    assert "Rejected" in table and "Approved" in table


def test_approve_and_reject_record_who_and_why(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    version = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-a")  # type: ignore[arg-type]
    assert main(["reject", str(version.version), "--reason", "leaks the target"]) == 0
    assert "rejected by arn:aws:sts::123456789012:user/moto: leaks the target" in capsys.readouterr().out
    assert main(["approve", str(version.version), "--reason", "checked the confusion matrix"]) == 0
    assert "approved by arn:aws:sts::123456789012:user/moto: checked the confusion matrix" in capsys.readouterr().out
    assert main(["approve", str(version.version)]) == 1
    assert "already Approved" in capsys.readouterr().err


def test_unknown_version_is_a_one_line_error(emulator: LocalEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["approve", "42"]) == 1
    err = capsys.readouterr().err
    assert "no version 42 in model package group lightship-models" in err
    assert "Traceback" not in err


def test_train_on_a_missing_file_names_it_and_exits_non_zero(emulator: LocalEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["train", "--data", str(missing), "--target", "churned"]) == 1
    assert f"{missing}: no such file or folder" in capsys.readouterr().err


def test_train_with_an_unknown_model_is_refused(emulator: LocalEmulator, customers_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", str(customers_csv), "--target", "churned", "--model", "svm"]) == 1
    assert "--model svm: choose one of logistic, random_forest, hist_gradient_boosting" in capsys.readouterr().err


def test_train_command_prints_the_registered_version(emulator: LocalEmulator, customers_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", str(customers_csv), "--target", "churned", "--model", "logistic", "--param", "C=0.1"]) == 0
    out = capsys.readouterr().out
    assert "version 1" in out and "roc_auc=" in out and "gate:" in out
