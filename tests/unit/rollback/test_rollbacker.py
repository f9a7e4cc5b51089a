"""The rollback's own rules on moto in process: by hand (each refusal and the explicit target), an alarm with
nothing safe to do, and an alerts topic that is not configured."""

from __future__ import annotations

import json

import pytest

from lightship.rollback.decision import Verdict
from lightship.rollback.rollback import Rollbacker, RollbackError
from tests.support.record_world import ERRORS, World, ago, alarm


@pytest.fixture
def three_live(world: World) -> World:
    """v1, v2, v3 Approved; deployed in turn, v3 live."""
    for metric, minutes in ((0.80, 30), (0.82, 20), (0.84, 10)):
        world.register(metric)
        world.put_live(len(world.versions), ago(minutes))
    return world


@pytest.mark.parametrize(
    ("to", "message"),
    [
        (3, "version 3 is already live"),
        (4, "version 4 is newer than live version 3: use `lightship deploy 4`"),
    ],
)
def test_rollback_by_hand_refuses_a_target_that_is_not_older(three_live: World, to: int, message: str) -> None:
    three_live.register(0.9)  # v4, never deployed
    with pytest.raises(RollbackError, match=message):
        three_live.rollbacker().by_hand(to=to, reason="r", by="eve")
    assert len(three_live.history()) == 3


def test_rollback_by_hand_refuses_a_target_that_is_not_approved(three_live: World) -> None:
    three_live.registry().reject(1, "bad data", "tests")
    with pytest.raises(RollbackError, match="version 1 is Rejected, not Approved"):
        three_live.rollbacker().by_hand(to=1, reason="r", by="eve")
    assert len(three_live.history()) == 3


def test_rollback_by_hand_with_nothing_live_or_nothing_older_changes_nothing(world: World) -> None:
    world.register(0.8)
    with pytest.raises(RollbackError, match="no version is live"):
        world.rollbacker().by_hand(to=None, reason="r", by="eve")
    world.put_live(1, ago(5))
    with pytest.raises(RollbackError, match="no Approved version older than live version 1"):
        world.rollbacker().by_hand(to=None, reason="r", by="eve")
    assert world.history() == [(1, "deploy", 1, None)]


def test_rollback_by_hand_to_an_explicit_version_keeping_the_failed_one_approved(three_live: World) -> None:
    outcome = three_live.rollbacker().by_hand(to=1, reason="back to the first", by="eve", reject=False)

    assert (outcome.verdict, outcome.from_version, outcome.to_version, outcome.revision) == (Verdict.ROLL_BACK, 3, 1, 4)
    assert not outcome.rejected and outcome.notified
    assert three_live.history()[0] == (4, "rollback", 1, 3)
    live = three_live.record().live()
    assert live is not None and live.reason == "by hand: back to the first" and live.by == "eve"
    assert live.details_dict == {"manual": True, "failed_version": 3, "rolled_back_to": 1}
    assert [three_live.status(v) for v in (1, 2, 3)] == ["Approved", "Approved", "Approved"]
    [alert] = three_live.alerts()
    assert json.loads(alert["Message"])["to_version"] == 1


def test_an_alarm_while_a_rolled_back_version_is_live_is_reported_not_acted_on(three_live: World) -> None:
    three_live.rollbacker().by_hand(to=None, reason="first trouble", by="eve")
    three_live.alerts()

    outcome = three_live.rollbacker().on_alarm(alarm(three_live, ERRORS, ago(0)))

    assert outcome.verdict is Verdict.IMPOSSIBLE and outcome.notified and "not rolling back further" in outcome.why
    assert three_live.history()[0] == (4, "rollback", 2, 3)
    [alert] = three_live.alerts()
    assert alert["Subject"] == "Lightship: rollback impossible"


def test_without_an_alerts_topic_the_rollback_still_happens_and_says_it_could_not_announce(
    three_live: World, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Rollbacker(three_live.record(), three_live.registry(), three_live.client("sns"), None)

    outcome = worker.on_alarm(alarm(three_live, ERRORS, ago(1)))

    assert outcome.verdict is Verdict.ROLL_BACK and not outcome.notified and outcome.rejected
    assert any("no alerts topic configured" in r.getMessage() for r in caplog.records)
    assert three_live.alerts() == []
