"""``training_jobs/train.py`` honours SageMaker's script-mode contract, in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lightship.bundle.model_bundle import load_bundle
from lightship.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "training_jobs" / "train.py"


def _run(tmp_path: Path, frame: pd.DataFrame, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    channel = tmp_path / "input" / "data" / "train"
    channel.mkdir(parents=True)
    frame.to_csv(channel / "data.csv", index=False)
    env = {
        **os.environ,
        "SM_CHANNEL_TRAIN": str(channel),
        "SM_MODEL_DIR": str(tmp_path / "model"),
        "SM_OUTPUT_DIR": str(tmp_path / "output"),
        "SM_OUTPUT_DATA_DIR": str(tmp_path / "output" / "data"),
        "TRAINING_JOB_NAME": "job-1",
    }
    env.pop("SM_HPS", None)
    result = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    return result, tmp_path


def test_script_writes_bundle_and_evaluation_where_sagemaker_expects(tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    # As SageMaker's toolkit passes them: sorted, one-letter names with one dash, str() of the values.
    result, root = _run(tmp_path, customers_frame, "-C", "0.5", "--fit_intercept", "False", "--model", "logistic", "--seed", "3", "--target", "churned")
    assert result.returncode == 0, result.stderr
    bundle = load_bundle(root / "model")
    assert bundle.evaluation["hyperparameters"] == {"C": 0.5, "fit_intercept": False}
    assert bundle.evaluation["seed"] == 3 and bundle.evaluation["training_job_name"] == "job-1"
    copied = json.loads((root / "output" / "data" / "evaluation.json").read_text())
    assert copied["metrics"] == bundle.evaluation["metrics"]


def test_script_failure_writes_the_reason_to_the_failure_file(tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    result, root = _run(tmp_path, customers_frame, "--target", "no_such_column")
    assert result.returncode == 1
    failure = (root / "output" / "failure").read_text()
    assert failure.startswith("DataError: ") and "no target column 'no_such_column'" in failure


@pytest.mark.parametrize(("argv", "reason"), [
    (["--target", "churned", "stray"], "HyperparameterError: unexpected argument 'stray'"),
    (["--target"], "HyperparameterError: hyperparameter --target has no value"),
    (["-12", "churned"], "HyperparameterError: unexpected argument '-12'"),
])
def test_argument_errors_reach_the_failure_file(tmp_path: Path, customers_frame: pd.DataFrame, argv: list[str], reason: str) -> None:
    result, root = _run(tmp_path, customers_frame, *argv)
    assert result.returncode == 1
    assert (root / "output" / "failure").read_text().startswith(reason)
