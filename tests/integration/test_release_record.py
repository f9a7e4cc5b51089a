"""A release on the deployment record, on the emulator: every path idempotent, forced races resolved
to one winner, deploy and manual rollback refused during a release, and the alarm path aborting."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pytest

from lightship.clients import client
from lightship.deployment.deploy import DeploymentRefused, deploy
from lightship.deployment.record import Deployment, DeploymentRecord
from lightship.local.emulator import LocalEmulator
from lightship.release import controller
from lightship.release.controller import Plan, ReleaseRefused
from lightship.deployment.release_state import CANARY
from lightship.rollback.rollback import Rollbacker, RollbackError
from lightship.settings import Settings
from tests.integration.release_support import record, registry
from tests.integration.rollback_support import invoke_rollback, sns_alarm_event
from tests.support.models import register_trained

PLAN = Plan(CANARY, (10.0, 50.0), 0.0, 1, 1)
CANDIDATE_ALARM = "lightship-candidate-error-rate"


class RacingRecord(DeploymentRecord):
    """The record, with a competitor that writes just before our first write: a forced conflict at the worst moment."""

    def __init__(self, inner: DeploymentRecord, competitor: Callable[[], Any]) -> None:
        super().__init__(inner.dynamodb, inner.table)
        self.competitor: Callable[[], Any] | None = competitor

    def write(self, new: Deployment, expected_revision: int | None) -> Deployment:
        if self.competitor is not None:
            competitor, self.competitor = self.competitor, None
            competitor()
        return super().write(new, expected_revision)


@pytest.fixture
def versions(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> dict[int, Any]:
    """v1 and v2 Approved, v2 live; v3 Approved, the candidate."""
    resources = emulator.resources
    assert resources is not None
    out = {}
    for n, c in ((1, 0.01), (2, 0.1), (3, 1.0)):
        out[n] = register_trained(settings, resources, customers_frame, "churned", params={"C": c}, name=f"job-{n}", approve=True)
    deploy(registry(settings, resources), record(resources), 1, reason="first", by="tests")
    deploy(registry(settings, resources), record(resources), 2, reason="second", by="tests")
    return out


def _start(settings: Settings, emulator: LocalEmulator, version: int = 3) -> str:
    assert emulator.resources is not None
    outcome = controller.start(registry(settings, emulator.resources), record(emulator.resources), version, PLAN,
                               reason="test", by="tests")
    assert outcome.release is not None
    controller.set_step(record(emulator.resources), outcome.release.id, 0, by="tests")
    return outcome.release.id


def _ends(rec: DeploymentRecord) -> list[str]:
    return [h.action for h in rec.history() if h.action in ("release_promote", "release_abort", "rollback")]


def test_deploy_and_manual_rollback_during_a_release_are_refused_with_what_to_do(
    emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]
) -> None:
    assert emulator.resources is not None
    _start(settings, emulator)
    before = record(emulator.resources).history()
    with pytest.raises(DeploymentRefused, match=r"lightship release abort"):
        deploy(registry(settings, emulator.resources), record(emulator.resources), 1, reason="x", by="tests")
    rollbacker = Rollbacker(record(emulator.resources), registry(settings, emulator.resources), client("sns"), None)
    with pytest.raises(RollbackError, match=r"lightship release promote.*lightship release abort"):
        rollbacker.by_hand(to=None, reason="x", by="tests")
    with pytest.raises(ReleaseRefused, match="one release at a time"):
        controller.start(registry(settings, emulator.resources), record(emulator.resources), 1, PLAN, reason="x", by="tests")
    assert record(emulator.resources).history() == before


def test_a_release_refuses_the_live_version_and_unapproved_versions(emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]) -> None:
    assert emulator.resources is not None
    reg, rec = registry(settings, emulator.resources), record(emulator.resources)
    with pytest.raises(ReleaseRefused, match="already live"):
        controller.start(reg, rec, 2, PLAN, reason="x", by="tests")
    reg.reject(3, "bad", "tests")
    with pytest.raises(ReleaseRefused, match="Rejected"):
        controller.start(reg, rec, 3, PLAN, reason="x", by="tests")
    assert rec.live() is not None and rec.live().action == "deploy"  # type: ignore[union-attr]


def test_steps_promote_and_abort_are_idempotent(emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]) -> None:
    assert emulator.resources is not None
    rec = record(emulator.resources)
    release_id = _start(settings, emulator)
    assert not controller.set_step(rec, release_id, 0, by="tests").changed  # a retried task
    assert controller.set_step(rec, release_id, 1, by="tests").changed
    first = controller.promote(rec, registry(settings, emulator.resources), release_id, reason="passed", by="tests")
    second = controller.promote(rec, registry(settings, emulator.resources), release_id, reason="passed", by="tests")
    abort = controller.abort(rec, registry(settings, emulator.resources), release_id, reason="late", by="tests")
    assert first.changed and not second.changed and not abort.changed
    assert "already ended" in second.message and "already ended" in abort.message
    assert [h.action for h in reversed(rec.history())] == [
        "deploy", "deploy", "release_start", "release_step", "release_step", "release_promote"]
    live = rec.live()
    assert live is not None and (live.version, live.previous_version) == (3, 2)
    assert registry(settings, emulator.resources).version(3).status == "Approved"


def test_promote_refuses_a_candidate_rejected_meanwhile_and_changes_nothing(
    emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]
) -> None:
    assert emulator.resources is not None
    reg, rec = registry(settings, emulator.resources), record(emulator.resources)
    release_id = _start(settings, emulator)
    before = rec.live()
    reg.reject(3, "bias found in review", by="reviewer")
    with pytest.raises(controller.CandidateNotApproved, match=r"version 3 is Rejected \(rejected by reviewer: bias found in review\).*lightship release abort"):
        controller.promote(rec, reg, release_id, reason="passed", by="person")
    assert rec.live() == before  # still version 2 live, the release still under way


def test_promote_racing_an_abort_loses_cleanly(emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]) -> None:
    assert emulator.resources is not None
    reg, rec = registry(settings, emulator.resources), record(emulator.resources)
    release_id = _start(settings, emulator)
    racing = RacingRecord(rec, lambda: controller.abort(rec, reg, release_id, reason="alarm won", by="alarm"))
    outcome = controller.promote(racing, registry(settings, emulator.resources), release_id, reason="passed", by="machine")
    assert not outcome.changed and "already ended (release_abort" in outcome.message
    assert _ends(rec) == ["release_abort"]
    live = rec.live()
    assert live is not None and live.version == 2 and reg.version(3).status == "Rejected"


def test_abort_racing_a_promote_loses_cleanly(emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]) -> None:
    assert emulator.resources is not None
    reg, rec = registry(settings, emulator.resources), record(emulator.resources)
    release_id = _start(settings, emulator)
    racing = RacingRecord(rec, lambda: controller.promote(rec, registry(settings, emulator.resources), release_id, reason="person promoted", by="person"))
    outcome = controller.abort(racing, reg, release_id, reason="too late", by="alarm")
    assert not outcome.changed and not outcome.rejected
    assert _ends(rec) == ["release_promote"]
    assert rec.live().version == 3 and reg.version(3).status == "Approved"  # type: ignore[union-attr]


def test_a_live_alarm_racing_a_promote_does_not_roll_back_the_new_version(
    emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]
) -> None:
    assert emulator.resources is not None
    reg, rec = registry(settings, emulator.resources), record(emulator.resources)
    release_id = _start(settings, emulator)
    alarm_at = datetime.now(timezone.utc)  # about version 2, live while the release was under way
    racing = RacingRecord(rec, lambda: controller.promote(rec, registry(settings, emulator.resources), release_id, reason="passed", by="machine"))
    rollbacker = Rollbacker(racing, reg, client("sns"), None)
    from lightship.monitoring.alarm_events import AlarmStateChange

    outcome = rollbacker.on_alarm(AlarmStateChange(alarm_name="lightship-serving-error-rate", new_state="ALARM",
                                                   reason="5xx", changed_at=alarm_at, route="direct"))
    assert outcome.verdict.value == "ignored" and "moved on" in outcome.why
    assert _ends(rec) == ["release_promote"]
    assert rec.live().version == 3 and reg.version(2).status == "Approved"  # type: ignore[union-attr]


def test_a_candidate_alarm_by_sns_and_eventbridge_aborts_once(emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]) -> None:
    resources = emulator.resources
    assert resources is not None
    _start(settings, emulator)
    sns_event = sns_alarm_event(settings, resources, CANDIDATE_ALARM, datetime.now(timezone.utc))
    message = json.loads(sns_event["Records"][0]["Sns"]["Message"])
    eventbridge = {
        "version": "0", "id": "e-1", "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
        "account": resources.account, "time": message["StateChangeTime"], "region": resources.region, "resources": [message["AlarmArn"]],
        "detail": {"alarmName": CANDIDATE_ALARM, "state": {"value": "ALARM", "reason": message["NewStateReason"],
                                                           "timestamp": message["StateChangeTime"]},
                   "previousState": {"value": "OK", "reason": "", "timestamp": message["StateChangeTime"]}, "configuration": {}},
    }
    first = invoke_rollback(settings, sns_event)
    second = invoke_rollback(settings, eventbridge)
    assert [r["verdict"] for r in first["results"]] == ["release_aborted"]
    assert [r["verdict"] for r in second["results"]] == ["ignored"]
    rec = record(resources)
    assert _ends(rec) == ["release_abort"]
    live = rec.live()
    assert live is not None and (live.version, live.release) == (2, None) and CANDIDATE_ALARM in live.reason
    assert registry(settings, resources).version(3).status == "Rejected"
    assert registry(settings, resources).version(2).status == "Approved"


def test_a_candidate_alarm_from_before_the_release_is_ignored(emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]) -> None:
    resources = emulator.resources
    assert resources is not None
    earlier = datetime.now(timezone.utc)
    _start(settings, emulator)
    result = invoke_rollback(settings, sns_alarm_event(settings, resources, CANDIDATE_ALARM, earlier))
    assert [r["verdict"] for r in result["results"]] == ["ignored"] and "before release" in result["results"][0]["why"]
    assert record(resources).live().release is not None  # type: ignore[union-attr]


def test_a_live_alarm_during_a_release_aborts_it_first_then_rolls_back(
    emulator: LocalEmulator, settings: Settings, versions: dict[int, Any]
) -> None:
    resources = emulator.resources
    assert resources is not None
    _start(settings, emulator)
    result = invoke_rollback(settings, sns_alarm_event(settings, resources, "lightship-serving-error-rate", datetime.now(timezone.utc)))
    assert [r["verdict"] for r in result["results"]] == ["rolled_back"]
    rec = record(resources)
    assert [h.action for h in rec.history()][:2] == ["rollback", "release_abort"]
    live = rec.live()
    assert live is not None and (live.version, live.previous_version) == (1, 2)
    reg = registry(settings, resources)
    assert reg.version(2).status == "Rejected" and reg.version(3).status == "Approved"  # the candidate was not to blame
    again = invoke_rollback(settings, sns_alarm_event(settings, resources, "lightship-serving-error-rate", datetime.now(timezone.utc)))
    assert again["results"][0]["verdict"] in {"impossible", "ignored"}
    assert _ends(rec) == ["rollback", "release_abort"]
