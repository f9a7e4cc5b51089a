"""The run date of scheduled runs, the emulator's reading of the synthesized definition, and the
batch image's scikit-learn pin (``lightship drift``'s tests are in tests/unit/drift/test_compare.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from batch.resolve import run_date
from lightship.batch_run.request import RunRequest
from lightship.errors import LightshipError
from lightship.local.stack_templates import StackRefs
from lightship.versions import SKLEARN_VERSION

REPO_ROOT = Path(__file__).resolve().parents[3]


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
