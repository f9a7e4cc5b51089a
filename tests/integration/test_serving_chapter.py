"""The demo's serving chapter on the emulator: deploys the latest Approved version, serves it, leaves the server for later chapters."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pandas as pd
from rich.console import Console

from lightship.demo.serving_chapter import serving
from lightship.demo.story import Story
from lightship.local.emulator import LocalEmulator
from lightship.settings import Settings
from tests.support.models import register_trained


def test_serving_chapter_deploys_serves_and_shows_good_and_bad_requests(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, tmp_path: Path
) -> None:
    assert emulator.resources is not None
    register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
    v2 = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
    story = Story(settings=settings, workspace=tmp_path, console=Console(file=io.StringIO(), width=200), emulator=emulator)

    with story.cleanup:
        serving(story)
        url = story.state["serving_url"]
        live = httpx.post(f"{url}/v1/predict", json={"instances": story.state["sample_instances"]})
        assert live.status_code == 200 and live.json()["model_version"] == v2.version

    facts = dict(story.facts)
    assert story.state["deployed_version"] == v2.version
    assert facts["predict with bad instances"].startswith("422 naming #1 tenure_months; #2 plan;")
    assert facts[f"predict {settings.serving.max_instances + 1} instances"].startswith("413")
    assert any(d.get("ModelVersion") == str(v2.version) for d in story.state["serving_metrics"])
    try:  # the story's cleanup stopped the server
        httpx.get(f"{url}/v1/health", timeout=1)
    except httpx.HTTPError:
        pass
    else:
        raise AssertionError("the server still answers after the story ended")
