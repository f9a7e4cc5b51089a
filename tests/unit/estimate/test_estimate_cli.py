"""``lightship estimate``: the table, ``--format json``, and one-line errors (the machine is the test's)."""

from __future__ import annotations

import json

import pytest

from lightship.cli.main import main
from tests.support.batch_machine import MACHINE


@pytest.fixture(autouse=True)
def machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # The synthesized machine is tests/infra's business; here the CLI's wiring on a machine of its shape.
    monkeypatch.setattr("lightship.estimate.run.batch_definition", lambda settings: MACHINE)


def test_json_output_carries_the_checklist_figures_and_every_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--rps", "5000", "--batch-rows", "1000000000", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["load"] == {"rps": 5000.0, "batch_rows": 1_000_000_000, "instances_per_request": 1}
    assert out["per_million_predictions_usd"] > 0 and out["per_batch_day_usd"] > 0
    assert out["binding"]["name"] == "API Gateway stage throttle (rate)" and out["binding"]["utilization"] == pytest.approx(50.0)
    assert out["batch"] == {"chunks": 5000, "map_mode": "DISTRIBUTED", "transitions_per_run": 10_007,
                            "transitions": {"per_run": 7, "per_chunk": 2, "path": ["Resolve", "Plan", "Mode", "Distributed", "Merge", "Alert?", "Done"]}}
    assert out["prices"]["prices"]["sfn_transition"]["source"] == "https://aws.amazon.com/step-functions/pricing/"
    assert sum(line["usd"] for line in out["lines"] if line["part"] == "batch") == pytest.approx(out["per_batch_day_usd"])


def test_the_table_names_the_binding_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--rps", "5000", "--batch-rows", "1000000000"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "binds first: API Gateway stage throttle (rate) (5,000.0 of 100 requests/s); the load does not fit as configured" in out
    assert "per million predictions" in out and "SageMaker for the same online load" in out


def test_bad_options_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--rps", "10", "--format", "xml"]) == 1
    assert "--format xml: choose table or json" in capsys.readouterr().err
    assert main(["estimate", "--rps", "-5"]) == 1
    err = capsys.readouterr().err
    assert "must be 0 or more" in err and "Traceback" not in err
