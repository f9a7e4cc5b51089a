"""The whole loop of issue 5 on the emulator, as the demo runs it: a broken version serves real HTTP traffic,
its metrics reach CloudWatch, its alarm goes to ALARM, the emulator delivers it through SNS to the rollback
handler, and the server is back on the good version, with the broken one Rejected and the history written."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest
from rich.console import Console

from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.rollback_chapter import rollback
from lightship.demo.serving_chapter import serving
from lightship.demo.story import Story
from lightship.local import function_logs
from lightship.local.emulator import LocalEmulator
from lightship.resources import names_for
from lightship.settings import Settings
from tests.integration.rollback_support import record, registry
from tests.support.models import register_trained


def test_broken_version_is_rolled_back_by_its_alarm_end_to_end(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = emulator.resources
    assert resources is not None
    register_trained(settings, resources, customers_frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
    good = register_trained(settings, resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    data = tmp_path / "customers.csv"
    customers(rows=2000, seed=7).to_csv(data, index=False)
    story = Story(settings=settings, workspace=tmp_path, console=Console(file=open(tmp_path / "out.txt", "w"), width=200), emulator=emulator)
    story.state["training_data"] = data
    function_log = tmp_path / "functions.log"
    function_logs.write_to(function_log)

    try:
        with story.cleanup:
            serving(story)
            capsys.readouterr()
            rollback(story)
            printed = capsys.readouterr()
            url = story.state["serving_url"]
            after = [httpx.post(f"{url}/v1/predict", json={"instances": [i]}).json()["model_version"] for i in story.state["sample_instances"]]
    finally:
        function_logs.write_to(None)

    # The rollback handler ran in this process: its JSON lines went to the log file (and its log group), not the console.
    console_lines = (printed.out + printed.err + (tmp_path / "out.txt").read_text()).splitlines()
    assert not [line for line in console_lines if line.lstrip().startswith("{")], console_lines
    logged = function_log.read_text().splitlines()
    rollback_lines = [line.split(" ", 2)[2] for line in logged if line.split(" ", 2)[1] == names_for(settings).rollback_function]
    assert any(json.loads(line).get("message", "").startswith("rolled back from version 3 to version") for line in rollback_lines if line.startswith("{"))
    assert any('"Rollbacks":[1.0]' in line for line in rollback_lines)  # its EMF metrics line

    assert after == [good.version] * len(after)
    broken = registry(settings, resources).version(3)
    assert broken.status == "Rejected" and f"alarm {settings.project}-serving-error-rate in ALARM" in broken.approval_description
    history = record(resources).history()
    assert [(h.action, h.version) for h in history] == [("rollback", good.version), ("deploy", 3), ("deploy", good.version)]
    assert history[0].details_dict["alarm"]["route"] == "sns"  # it came through the alarm's SNS action
    alarm = client("cloudwatch").describe_alarms(AlarmNames=[f"{settings.project}-serving-error-rate"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    facts = dict(story.facts)
    assert facts["the same alarm delivered again"].startswith("ignored")
    assert "rolled back to version 2" in facts["alerts topic"]
    assert facts["requests after the rollback"] == f"20 x 200 from version {good.version}, no redeploy"
