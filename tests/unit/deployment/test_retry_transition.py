"""The read-decide-write loop every writer of the deployment record shares (lightship/deployment/retry.py).

Races are forced as in test_record_races.py: a competing writer runs just before our
conditional write goes out (a botocore ``before-call`` hook on our DynamoDB client).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lightship.deployment.deploy import deploy
from lightship.deployment.record import Deployment, RecordConflict
from lightship.deployment.retry import AGAIN, Change, Done, Step, retry_transition
from lightship.deployment.transition import Action, TransitionRefused, VersionRef
from lightship.release.controller import ReleaseRefused, make_plan, start
from tests.support.record_world import World, ago, before_next_call


class Exhausted(Exception):
    pass


def exhausted() -> str:
    raise Exhausted


@contextmanager
def before_every_call(aws_client: Any, operation: str, action: Callable[[], Any]) -> Iterator[list[Any]]:
    """Run ``action`` before each of ``aws_client``'s calls of ``operation``: every write we make loses."""
    ran: list[Any] = []
    event = f"before-call.{aws_client.meta.service_model.service_name}.{operation}"

    def hook(**_: Any) -> None:
        ran.append(action())

    aws_client.meta.events.register(event, hook, unique_id=f"always-{id(hook)}")
    try:
        yield ran
    finally:
        aws_client.meta.events.unregister(event, unique_id=f"always-{id(hook)}")


def deploy_change(world: World, version: int, *, seen: list[int | None]) -> Callable[[Deployment | None], Step[str]]:
    """A decision that notes the live version it was shown and deploys ``version``."""
    v = world.versions[version]

    def decide(live: Deployment | None) -> Step[str]:
        seen.append(live.version if live is not None else None)
        return Change(Action.DEPLOY, reason="test", by="retry-test", target=VersionRef(version, v.arn, v.model_data_url),
                      then=lambda written: f"revision {written.revision}")

    return decide


def three_versions(world: World) -> None:
    for metric in (0.80, 0.85, 0.90):
        world.register(metric)
    world.put_live(1, ago(30))


def test_a_lost_write_reads_again_and_the_second_decision_sees_the_winner(world: World) -> None:
    three_versions(world)
    ours = world.fresh("dynamodb")
    seen: list[int | None] = []

    with before_next_call(ours, "TransactWriteItems", lambda: world.put_live(2, ago(1))) as raced:
        result = retry_transition(world.record(ours), deploy_change(world, 3, seen=seen), exhausted=exhausted)

    assert raced[0].revision == 2
    assert seen == [1, 2]  # the first look saw v1 live; the second, the winner's v2
    assert result == "revision 3"
    assert world.history() == [(3, "deploy", 3, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]


def test_when_every_write_loses_exhausted_decides_and_nothing_of_ours_is_written(world: World) -> None:
    three_versions(world)
    ours = world.fresh("dynamodb")
    seen: list[int | None] = []
    competitor = iter([2, 1, 2])

    with before_every_call(ours, "TransactWriteItems", lambda: world.put_live(next(competitor), ago(1))) as raced:
        with pytest.raises(Exhausted):
            retry_transition(world.record(ours), deploy_change(world, 3, seen=seen), exhausted=exhausted, attempts=3)

    assert len(raced) == 3 and seen == [1, 2, 1]
    assert world.history() == [(4, "deploy", 2, 1), (3, "deploy", 1, 2), (2, "deploy", 2, 1), (1, "deploy", 1, None)]


def test_callers_keep_their_own_error_when_the_record_keeps_changing(world: World) -> None:
    three_versions(world)
    ours = world.fresh("dynamodb")
    competitor = iter([2, 1, 2, 1, 2, 1])

    with before_every_call(ours, "TransactWriteItems", lambda: world.put_live(next(competitor), ago(1))):
        with pytest.raises(RecordConflict, match="kept changing while deploying version 3; try again"):
            deploy(world.registry(), world.record(ours), 3, reason="v3", by="alice")
        with pytest.raises(ReleaseRefused, match="kept changing while starting the release; try again"):
            start(world.registry(), world.record(ours), 3, make_plan(world.settings.release), reason="v3", by="alice")

    assert [h[2] for h in world.history()] == [1, 2, 1, 2, 1, 2, 1]  # six competitor writes over the first deploy


def test_a_done_decision_returns_its_result_and_writes_nothing(world: World) -> None:
    three_versions(world)
    ours = world.fresh("dynamodb")
    calls: list[int] = []

    def decide(live: Deployment | None) -> Step[str]:
        calls.append(1)
        return Done("already live")

    with before_every_call(ours, "TransactWriteItems", lambda: pytest.fail("a Done decision wrote to the record")):
        result = retry_transition(world.record(ours), decide, exhausted=exhausted)

    assert result == "already live" and calls == [1]
    assert world.history() == [(1, "deploy", 1, None)]


def test_again_reads_the_record_once_more_and_counts_as_an_attempt(world: World) -> None:
    three_versions(world)
    seen: list[int | None] = []
    answers: list[Step[str]] = [AGAIN, Done("second look")]

    def decide(live: Deployment | None) -> Step[str]:
        seen.append(live.version if live is not None else None)
        if not seen[1:]:
            world.put_live(2, ago(1))  # the decision changed the record itself (as a rollback ends a release)
        return answers[len(seen) - 1]

    assert retry_transition(world.record(), decide, exhausted=exhausted) == "second look"
    assert seen == [1, 2]

    with pytest.raises(Exhausted):
        retry_transition(world.record(), lambda live: AGAIN, exhausted=exhausted, attempts=2)


def test_a_refused_transition_propagates_unless_the_caller_counts_it_as_a_race(world: World) -> None:
    world.register(0.80)  # nothing live: a rollback is refused
    v = world.versions[1]
    reads: list[int] = []

    def decide(live: Deployment | None) -> Step[str]:
        reads.append(1)
        return Change(Action.ROLLBACK, reason="test", by="retry-test", target=VersionRef(1, v.arn, v.model_data_url),
                      then=lambda written: "written")

    with pytest.raises(TransitionRefused, match="nothing to roll back"):
        retry_transition(world.record(), decide, exhausted=exhausted)
    assert reads == [1]

    reads.clear()
    with pytest.raises(Exhausted):
        retry_transition(world.record(), decide, exhausted=exhausted, retry_on=(RecordConflict, TransitionRefused))
    assert reads == [1, 1, 1]
    assert world.history() == []
