"""``lightship drift`` on local files, the run date of scheduled runs, the emulator's reading of the
synthesized definition, and the batch image's scikit-learn pin."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from batch.compare import compare_data
from lightship.batch_run.request import RunRequest
from batch.resolve import run_date
from lightship.cli.main import main
from lightship.datasets import customers
from lightship.errors import DataError, LightshipError
from lightship.local.stack_templates import StackRefs
from lightship.versions import SKLEARN_VERSION

REPO_ROOT = Path(__file__).resolve().parents[3]


def limits(name: str) -> tuple[float, float]:
    return 0.2, 0.1


def test_drift_between_identical_files_is_zero_and_a_shift_is_flagged(tmp_path: Path) -> None:
    reference = tmp_path / "ref.parquet"
    customers(rows=4000, seed=1).to_parquet(reference, row_group_size=1000)
    same = compare_data(str(reference), str(reference), limits)
    assert same.drifted == [] and same.max_psi == 0.0 and all(f.ks in (None, 0.0) for f in same.features)
    shifted = tmp_path / "shifted.csv"
    customers(rows=6000, seed=2, shift=1.0).to_csv(shifted, index=False)
    seen: list[tuple[int, int]] = []
    report = compare_data(str(reference), str(shifted), limits, progress=lambda done, total: seen.append((done, total)))
    assert {"tenure_months", "monthly_spend", "support_calls", "plan"} <= set(report.drifted)
    assert report.current_rows == 6000 and seen[-1][0] == 6000


def test_drift_refuses_missing_inputs_and_data_without_common_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        compare_data(str(tmp_path / "nope.csv"), str(tmp_path / "nope.csv"), limits)
    (tmp_path / "a.csv").write_text("x\n1\n2\n")
    (tmp_path / "b.csv").write_text("y\n1\n2\n")
    with pytest.raises(DataError, match="share no columns"):
        compare_data(str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), limits)


def test_drift_cli_writes_both_reports_and_exits_3_on_drift_when_asked(tmp_path: Path) -> None:
    reference, current = tmp_path / "r.csv", tmp_path / "c.csv"
    customers(rows=3000, seed=1).to_csv(reference, index=False)
    customers(rows=3000, seed=2, shift=1.0).to_csv(current, index=False)
    out = tmp_path / "out" / "report"
    assert main(["drift", "--reference", str(reference), "--current", str(current), "--report", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["alert"] is True
    assert "<svg" in out.with_suffix(".html").read_text()
    assert main(["drift", "--reference", str(reference), "--current", str(current), "--report", str(out), "--fail-on-drift"]) == 3
    assert main(["drift", "--reference", str(reference), "--current", str(reference), "--report", str(out), "--fail-on-drift"]) == 0


def test_scheduled_runs_score_the_day_before_their_fire_time_and_a_given_date_wins() -> None:
    fired = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    assert run_date(RunRequest(time=fired)) == dt.date(2026, 11, 22)
    assert run_date(RunRequest(date=dt.date(2026, 1, 2), time=fired)) == dt.date(2026, 1, 2)
    with pytest.raises(ValueError, match="s3://"):
        RunRequest(input="/local/path")


def test_emulator_resolves_the_references_cdk_puts_in_a_definition() -> None:
    definition = {"Fn::Join": ["", [
        '{"Resource":"', {"Fn::GetAtt": ["PlanFn", "Arn"]}, '","Topic":"arn:', {"Ref": "AWS::Partition"}, ":sns:",
        {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ':alerts","Machine":"',
        {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Machine"}]}]}, '"}',
    ]]}
    template = {"Resources": {
        "PlanFn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "plan"}},
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": {"Fn::Sub": "${AWS::AccountId}-m"}}},
    }}
    stack = StackRefs("us-east-1", "123", template)
    assert json.loads(stack.resolve(definition)) == {
        "Resource": "arn:aws:lambda:us-east-1:123:function:plan", "Topic": "arn:aws:sns:us-east-1:123:alerts", "Machine": "123-m",
    }
    with pytest.raises(LightshipError, match="Unknown"):
        stack.resolve({"Ref": "Unknown"})
    with pytest.raises(LightshipError, match="PlanFn.Version"):
        stack.resolve({"Fn::GetAtt": ["PlanFn", "Version"]})


def test_batch_image_pins_the_scikit_learn_that_trains() -> None:
    pins = (REPO_ROOT / "lambdas" / "batch_image" / "requirements.txt").read_text().splitlines()
    assert f"scikit-learn=={SKLEARN_VERSION}" in pins


def test_fast_categorical_fit_makes_the_profile_training_makes() -> None:
    import numpy as np
    import pandas as pd

    from batch.compare import fit_categorical
    from lightship.bundle.profile import CategoricalProfile

    rng = np.random.default_rng(3)
    values = rng.choice(["b", "a", "c", "d", "", " ", None, "e"], 5000, p=[0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.1, 0.2]).astype(object)
    for series in (pd.Series(values, dtype=object), pd.Series(values, dtype="string")):
        for top in (50, 3):  # all categories, and a cut with ties broken by name
            expected = CategoricalProfile.fit(values, max_categories=top)
            got = fit_categorical(series, max_categories=top)
            assert (got.categories, got.counts, got.missing) == (expected.categories, expected.counts, expected.missing)
