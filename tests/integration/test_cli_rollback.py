"""``lightship rollback`` by hand, and ``lightship status`` showing each rollback with its reason."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lightship.cli.main import main
from lightship.local.emulator import LocalEmulator
from lightship.settings import Settings
from tests.integration.rollback_support import ago, alerts_inbox, put_live, record, registry
from tests.support.models import register_trained


@pytest.fixture
def three_approved_v3_live(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    assert emulator.resources is not None
    for n, c in enumerate((0.01, 0.1, 1.0), start=1):
        version = register_trained(settings, emulator.resources, customers_frame, "churned", params={"C": c}, name=f"job-{n}", approve=True)
        put_live(emulator.resources, version, ago(40 - 10 * n))


def test_rollback_by_hand_puts_the_previous_approved_version_back_and_status_shows_why(
    emulator: LocalEmulator, settings: Settings, three_approved_v3_live: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    inbox = alerts_inbox(settings, emulator.resources)
    assert main(["rollback", "--reason", "customers report odd scores"]) == 0
    out = capsys.readouterr().out
    assert "version 2 is live again" in out and "version 3 is now Rejected" in out

    live = record(emulator.resources).live()
    assert live is not None and (live.version, live.action, live.previous_version) == (2, "rollback", 3)
    assert live.reason == "by hand: customers report odd scores"
    assert registry(settings, emulator.resources).version(3).status == "Rejected"
    assert any("rolled back to version 2" in m["Subject"] for m in inbox.messages())

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["live"]["action"] == "rollback" and status["live"]["reason"] == "by hand: customers report odd scores"
    assert [(h["action"], h["version"]) for h in status["history"]] == [("rollback", 2), ("deploy", 3), ("deploy", 2), ("deploy", 1)]
    assert main(["status"]) == 0
    table = capsys.readouterr().out
    assert "rollback" in table and "customers report odd scores" in table


def test_rollback_to_a_chosen_version_can_keep_the_live_one_approved(
    emulator: LocalEmulator, settings: Settings, three_approved_v3_live: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    assert main(["rollback", "--to", "1", "--keep-approved", "--reason", "back to the baseline"]) == 0
    live = record(emulator.resources).live()
    assert live is not None and (live.version, live.previous_version) == (1, 3)
    assert registry(settings, emulator.resources).version(3).status == "Approved"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--to", "3"], "version 3 is already live"),
        (["--to", "4"], "newer than live version 3"),
        (["--to", "9"], "newer than live version 3"),
    ],
)
def test_rollback_refuses_what_it_cannot_do_with_a_clear_message_and_changes_nothing(
    emulator: LocalEmulator, three_approved_v3_live: None, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    assert emulator.resources is not None
    before = record(emulator.resources).history()
    assert main(["rollback", *args]) == 1
    assert says in capsys.readouterr().err
    assert record(emulator.resources).history() == before


def test_rollback_refuses_a_version_that_is_not_approved(
    emulator: LocalEmulator, settings: Settings, three_approved_v3_live: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    registry(settings, emulator.resources).reject(2, "bad calibration", "tests")
    assert main(["rollback", "--to", "2"]) == 1
    assert "version 2 is Rejected, not Approved" in capsys.readouterr().err


def test_rollback_with_nothing_older_or_nothing_live_says_so(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator.resources is not None
    assert main(["rollback"]) == 1
    assert "no version is live" in capsys.readouterr().err
    v1 = register_trained(settings, emulator.resources, customers_frame, "churned", name="job-1", approve=True)
    put_live(emulator.resources, v1, ago(5))
    assert main(["rollback"]) == 1
    assert "no Approved version older than live version 1: nothing changed" in capsys.readouterr().err
