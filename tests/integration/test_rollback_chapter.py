"""The whole loop of issue 5 on the emulator, as the demo runs it: a broken version serves real HTTP traffic,
its metrics reach CloudWatch, its alarm goes to ALARM, the emulator delivers it through SNS to the rollback
handler, and the server is back on the good version, with the broken one Rejected and the history written."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
from rich.console import Console

from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.rollback_chapter import rollback
from lightship.demo.serving_chapter import serving
from lightship.demo.story import Story
from lightship.local.emulator import LocalEmulator
from lightship.settings import Settings
from tests.integration.rollback_support import record, registry
from tests.support.models import register_trained


def test_broken_version_is_rolled_back_by_its_alarm_end_to_end(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, tmp_path: Path
) -> None:
    resources = emulator.resources
    assert resources is not None
    register_trained(settings, resources, customers_frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
    good = register_trained(settings, resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    data = tmp_path / "customers.csv"
    customers(rows=2000, seed=7).to_csv(data, index=False)
    story = Story(settings=settings, workspace=tmp_path, console=Console(file=open(tmp_path / "out.txt", "w"), width=200), emulator=emulator)
    story.state["training_data"] = data

    with story.cleanup:
        serving(story)
        rollback(story)
        url = story.state["serving_url"]
        after = [httpx.post(f"{url}/v1/predict", json={"instances": [i]}).json()["model_version"] for i in story.state["sample_instances"]]

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
