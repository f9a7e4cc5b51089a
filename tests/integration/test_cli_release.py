"""``lightship release`` on the emulator: start a canary (the state machine runs), status, refusals, abort."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lightship.cli.main import main
from lightship.local.emulator import LocalEmulator
from lightship.resources import names_for
from lightship.settings import Settings
from tests.integration.release_support import record, registry, two_versions, wait_for_execution


def test_release_start_status_refusals_and_abort_by_hand(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = emulator.resources
    assert resources is not None
    v1, v2 = two_versions(settings, resources, customers_frame)
    assert main(["release", "start", str(v2.version), "--canary", "10", "--bake", "30s", "--reason", "try it"]) == 0
    out = capsys.readouterr().out
    assert f"version {v2.version} as canary" in out and "execution" in out
    under_way = record(resources).live()
    assert under_way is not None and under_way.release is not None
    release_id = json.loads(under_way.release)["id"]
    execution_arn = f"arn:aws:states:{resources.region}:{resources.account}:execution:{names_for(settings).release_state_machine}:{release_id}"

    assert main(["release", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["release"]["candidate_version"] == v2.version and status["live_version"] == v1.version
    assert status["execution"] == "RUNNING"

    assert main(["deploy", str(v2.version)]) == 1
    assert "lightship release abort" in capsys.readouterr().err
    assert main(["rollback"]) == 1
    assert main(["release", "start", str(v2.version), "--canary", "10"]) == 1
    assert "one release at a time" in capsys.readouterr().err

    assert main(["release", "abort", "--reason", "changed my mind", "--keep-approved"]) == 0
    assert "aborted" in capsys.readouterr().out
    assert main(["release", "abort", "--reason", "again"]) == 1  # nothing under way: one line, non-zero
    assert "no release is under way" in capsys.readouterr().err
    live = record(resources).live()
    assert live is not None and (live.version, live.action) == (v1.version, "release_abort")
    assert registry(settings, resources).version(v2.version).status == "Approved"
    described = wait_for_execution(execution_arn, timeout=120)
    assert described["status"] == "SUCCEEDED"  # the machine found the release ended and stopped
