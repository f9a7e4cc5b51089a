"""Every conditional-write conflict on the deployment record, forced at the exact point it can happen.

Each test lets writer A read the record, then runs writer B to completion just before A's
conditional write goes out (a botocore ``before-call`` hook on A's DynamoDB client), so A
writes against a revision that is no longer current. Run one after another instead, A
would simply see B's write and never race; these tests fail if the record's conditions
are removed (A would then overwrite B's revision). Each asserts the hook fired.
"""

from __future__ import annotations

import pytest

from lightship.deployment.deploy import DeploymentRefused, deploy
from lightship.deployment.record import Deployment, RecordConflict
from lightship.rollback.decision import Verdict
from lightship.rollback.rollback import RollbackError
from tests.support.record_world import ERRORS, LATENCY, World, ago, alarm, before_next_call



def test_two_alarms_on_one_revision_roll_back_once(two_live: World) -> None:
    world = two_live
    first_dynamodb = world.fresh("dynamodb")
    first = world.rollbacker(dynamodb=first_dynamodb)

    def second_alarm() -> object:
        return world.rollbacker().on_alarm(alarm(world, LATENCY, ago(0.5)))

    with before_next_call(first_dynamodb, "TransactWriteItems", second_alarm) as raced:
        outcome = first.on_alarm(alarm(world, ERRORS, ago(1)))

    [winner] = raced
    assert winner.verdict is Verdict.ROLL_BACK and winner.alarm == LATENCY
    assert outcome.verdict is Verdict.IGNORE and "moved on to version 1" in outcome.why
    assert world.history() == [(3, "rollback", 1, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]
    assert world.status(2) == "Rejected" and world.status(1) == "Approved"
    assert LATENCY in world.registry().version(2).approval_description
    alerts = world.alerts()
    assert [a["Subject"] for a in alerts] == ["Lightship: rolled back to version 1"], alerts


def test_deploy_that_loses_to_an_alarm_rollback_rereads_and_deploys_after_it(two_live: World) -> None:
    world = two_live
    world.register(0.9)  # v3
    deployer_dynamodb = world.fresh("dynamodb")

    def alarm_rolls_back() -> object:
        return world.rollbacker().on_alarm(alarm(world, ERRORS, ago(1)))

    with before_next_call(deployer_dynamodb, "TransactWriteItems", alarm_rolls_back) as raced:
        outcome = deploy(world.registry(), world.record(deployer_dynamodb), 3, reason="v3 is better", by="alice")

    assert raced[0].verdict is Verdict.ROLL_BACK
    # The deploy read revision 2 (v2 live) but is written after the rollback, naming v1 as the version it replaced.
    assert outcome.changed and (outcome.deployment.revision, outcome.deployment.previous_version) == (4, 1)
    assert world.history() == [(4, "deploy", 3, 1), (3, "rollback", 1, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]
    assert world.status(2) == "Rejected"


def test_alarm_that_loses_to_a_deploy_leaves_the_new_version_live(two_live: World) -> None:
    world = two_live
    world.register(0.9)  # v3
    handler_dynamodb = world.fresh("dynamodb")

    def person_deploys_v3() -> object:
        return deploy(world.registry(), world.record(), 3, reason="v3 is better", by="alice")

    with before_next_call(handler_dynamodb, "TransactWriteItems", person_deploys_v3) as raced:
        outcome = world.rollbacker(dynamodb=handler_dynamodb).on_alarm(alarm(world, ERRORS, ago(1)))

    assert raced[0].changed
    assert outcome.verdict is Verdict.IGNORE and "moved on to version 3" in outcome.why
    assert world.history() == [(3, "deploy", 3, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]
    assert [world.status(v) for v in (1, 2, 3)] == ["Approved", "Approved", "Approved"]  # v2 was superseded, not failed
    assert world.alerts() == []


def test_a_deploy_retried_after_a_race_refuses_a_version_rejected_meanwhile(world: World) -> None:
    world.register(0.80)
    world.register(0.85)
    world.put_live(1, ago(30))
    alice_dynamodb = world.fresh("dynamodb")

    def bob_deploys_v2_and_it_fails() -> object:
        deploy(world.registry(), world.record(), 2, reason="bob's release", by="bob")
        return world.rollbacker().on_alarm(alarm(world, ERRORS, ago(0)))

    with before_next_call(alice_dynamodb, "TransactWriteItems", bob_deploys_v2_and_it_fails) as raced:
        with pytest.raises(DeploymentRefused, match="version 2 is Rejected"):
            deploy(world.registry(), world.record(alice_dynamodb), 2, reason="alice's release", by="alice")

    assert raced[0].verdict is Verdict.ROLL_BACK
    assert world.history() == [(3, "rollback", 1, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]
    live = world.record().live()
    assert live is not None and live.version == 1


def test_manual_rollback_that_loses_to_the_alarm_handler_changes_nothing_and_says_so(two_live: World) -> None:
    world = two_live
    person_dynamodb = world.fresh("dynamodb")

    def alarm_rolls_back() -> object:
        return world.rollbacker().on_alarm(alarm(world, ERRORS, ago(1)))

    with before_next_call(person_dynamodb, "TransactWriteItems", alarm_rolls_back) as raced:
        with pytest.raises(RollbackError, match="changed while rolling back"):
            world.rollbacker(dynamodb=person_dynamodb).by_hand(to=None, reason="looks wrong", by="carol")

    assert raced[0].verdict is Verdict.ROLL_BACK
    assert world.history() == [(3, "rollback", 1, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]
    assert ERRORS in world.registry().version(2).approval_description  # rejected once, by the alarm
    assert len(world.alerts()) == 1


def test_alarm_handler_that_loses_to_a_manual_rollback_does_not_act_again(two_live: World) -> None:
    world = two_live
    handler_dynamodb = world.fresh("dynamodb")

    def person_rolls_back() -> object:
        return world.rollbacker().by_hand(to=None, reason="looks wrong", by="carol")

    with before_next_call(handler_dynamodb, "TransactWriteItems", person_rolls_back) as raced:
        outcome = world.rollbacker(dynamodb=handler_dynamodb).on_alarm(alarm(world, ERRORS, ago(1)))

    assert raced[0].verdict is Verdict.ROLL_BACK
    assert outcome.verdict is Verdict.IGNORE and not outcome.notes
    assert world.history() == [(3, "rollback", 1, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]
    assert "by hand: looks wrong" in world.registry().version(2).approval_description
    [only] = world.alerts()
    assert "by hand" in only["Message"]


def test_two_first_deploys_on_an_empty_record_cannot_both_win(world: World) -> None:
    world.register(0.80)
    world.register(0.85)
    alice_dynamodb = world.fresh("dynamodb")

    def bob_deploys_v2() -> object:
        return deploy(world.registry(), world.record(), 2, reason="bob", by="bob")

    with before_next_call(alice_dynamodb, "TransactWriteItems", bob_deploys_v2) as raced:
        outcome = deploy(world.registry(), world.record(alice_dynamodb), 1, reason="alice", by="alice")

    assert raced[0].deployment.revision == 1
    assert (outcome.deployment.revision, outcome.deployment.previous_version) == (2, 2)
    assert world.history() == [(2, "deploy", 1, 2), (1, "deploy", 2, None)]


def test_a_write_against_a_stale_revision_raises_record_conflict_and_keeps_the_winner(two_live: World) -> None:
    world = two_live
    stale = world.record().live()
    assert stale is not None
    world.put_live(1, ago(0))  # someone else wrote revision 3
    # Revision 4's history slot is free: only the condition on the revision read (2) stops this writer.
    loser = Deployment(**{**stale.__dict__, "revision": 4, "version": 2, "reason": "stale writer"})

    with pytest.raises(RecordConflict, match="revision 4"):
        world.record().write(loser, expected_revision=stale.revision)

    live = world.record().live()
    assert live is not None and (live.revision, live.version, live.reason) == (3, 1, "test deploy")
    assert [(h.revision, h.reason) for h in world.record().history()] == [(3, "test deploy"), (2, "test deploy"), (1, "test deploy")]


def test_history_is_never_rewritten_even_by_a_writer_holding_the_current_revision(two_live: World) -> None:
    world = two_live
    live = world.record().live()
    assert live is not None
    # The live condition holds (revision 2 is current), but history entry 1 exists: the history is append-only.
    rewrite = Deployment(**{**live.__dict__, "revision": 1, "reason": "rewriting the past"})

    with pytest.raises(RecordConflict):
        world.record().write(rewrite, expected_revision=live.revision)

    assert [(h.revision, h.reason) for h in world.record().history()] == [(2, "test deploy"), (1, "test deploy")]
    assert world.record().live() == live
