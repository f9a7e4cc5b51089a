"""What happens when a step after the record write fails: the registry's reject, the process, the alerts topic.

The record is written first (it restores service); these tests break each later step at
its call (a botocore ``before-call`` hook), then deliver the same alarm again, as Lambda's
retry or SNS's redelivery would, and check the state ends consistent with nothing done twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from lambdas.rollback import handler as rollback_handler
from lightship.local.lambda_router import LambdaContext
from lightship.resources import names_for
from lightship.rollback.decision import Verdict
from lightship.rollback.rollback import RollbackIncomplete
from tests.support.record_world import ERRORS, World, ago, alarm, alarm_event, client_error, failing


class Crash(BaseException):
    """The function dies here (a timeout, an out-of-memory kill): nothing after it runs."""



def invoke(world: World, event: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(function_name=names_for(world.settings).rollback_function, aws_request_id="req-1")
    return dict(rollback_handler.handler(event, context))


def test_a_rejection_interrupted_by_a_crash_is_finished_by_the_next_delivery_once(two_live: World) -> None:
    world = two_live
    sagemaker = world.fresh("sagemaker")
    the_alarm = alarm(world, ERRORS, ago(1))

    with failing(sagemaker, "UpdateModelPackage", Crash()) as calls, pytest.raises(Crash):
        world.rollbacker(sagemaker=sagemaker).on_alarm(the_alarm)

    assert calls == [1]
    assert world.history()[0] == (3, "rollback", 1, 2)  # service restored ...
    assert world.status(2) == "Approved" and world.alerts() == []  # ... but not rejected, and nobody told

    redelivered = world.rollbacker().on_alarm(the_alarm)

    assert redelivered.verdict is Verdict.IGNORE and redelivered.rejected and redelivered.notified
    assert redelivered.notes == ["completed an interrupted rollback: version 2 marked Rejected"]
    assert world.status(2) == "Rejected" and ERRORS in world.registry().version(2).approval_description
    [alert] = world.alerts()
    assert alert["Subject"] == "Lightship: version 2 marked Rejected"
    body = json.loads(alert["Message"])
    assert (body["from_version"], body["to_version"], body["revision"]) == (2, 1, 3) and ERRORS in body["reason"]
    assert len(world.history()) == 3  # no second rollback

    third = world.rollbacker().on_alarm(the_alarm)
    assert third.verdict is Verdict.IGNORE and not third.rejected and not third.notes
    assert world.alerts() == [] and len(world.history()) == 3


def test_a_failing_registry_reject_fails_the_invocation_and_the_retry_completes_it(two_live: World, caplog: pytest.LogCaptureFixture) -> None:
    world = two_live
    event = alarm_event(world, ERRORS, ago(1))
    throttled = client_error("ThrottlingException", "UpdateModelPackage", "Rate exceeded")

    with failing(world.client("sagemaker"), "UpdateModelPackage", throttled) as calls:
        with pytest.raises(RollbackIncomplete, match="version 2 is still Approved: marking it Rejected failed"):
            invoke(world, event)

    assert calls == [1]
    assert world.history()[0] == (3, "rollback", 1, 2) and world.status(2) == "Approved"
    [announced] = world.alerts()  # the rollback is announced at once, with what is still owed
    assert announced["Subject"] == "Lightship: rolled back to version 1"
    assert "still Approved" in json.loads(announced["Message"])["pending"]
    assert any(r.levelname == "ERROR" and "still Approved" in r.getMessage() for r in caplog.records)

    retried = invoke(world, event)  # Lambda's async retry of the same event

    [result] = retried["results"]
    assert result["verdict"] == "ignored" and result["rejected"] and result["pending"] is None
    assert world.status(2) == "Rejected"
    [completed] = world.alerts()
    assert completed["Subject"] == "Lightship: version 2 marked Rejected"
    assert invoke(world, event)["results"][0]["rejected"] is False  # a third delivery does nothing
    assert world.alerts() == [] and len(world.history()) == 3


def test_a_retry_whose_reject_fails_again_stays_owed_and_does_not_roll_back_twice(two_live: World) -> None:
    world = two_live
    the_alarm = alarm(world, ERRORS, ago(1))
    denied = client_error("AccessDeniedException", "UpdateModelPackage", "not authorized")
    sagemaker = world.fresh("sagemaker")

    with failing(sagemaker, "UpdateModelPackage", denied, times=2):
        first = world.rollbacker(sagemaker=sagemaker).on_alarm(the_alarm)
        second = world.rollbacker(sagemaker=sagemaker).on_alarm(the_alarm)

    assert first.verdict is Verdict.ROLL_BACK and first.pending and not first.rejected
    assert second.verdict is Verdict.IGNORE and second.pending and "not authorized" in second.pending
    assert len(world.history()) == 3 and world.status(2) == "Approved"
    assert [a["Subject"] for a in world.alerts()] == ["Lightship: rolled back to version 1"]


def test_alerts_publish_failure_keeps_the_rollback_and_a_redelivery_does_not_act_again(
    two_live: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = two_live
    sns = world.fresh("sns")
    the_alarm = alarm(world, ERRORS, ago(1))

    with failing(sns, "Publish", client_error("InternalError", "Publish", "SNS is down")) as calls, caplog.at_level(logging.ERROR):
        outcome = world.rollbacker(sns=sns).on_alarm(the_alarm)

    assert calls == [1]
    assert outcome.verdict is Verdict.ROLL_BACK and outcome.rejected and not outcome.notified and outcome.pending is None
    assert world.history()[0] == (3, "rollback", 1, 2) and world.status(2) == "Rejected"
    assert any("could not publish" in r.getMessage() and "rolled back from version 2 to version 1" in r.getMessage() for r in caplog.records)

    again = world.rollbacker().on_alarm(the_alarm)  # the same alarm again, SNS working

    assert again.verdict is Verdict.IGNORE and not again.rejected and not again.notified
    assert len(world.history()) == 3 and world.alerts() == []


def test_manual_rollback_with_a_failing_reject_says_what_is_owed(two_live: World) -> None:
    world = two_live
    sagemaker = world.fresh("sagemaker")

    with failing(sagemaker, "UpdateModelPackage", client_error("ServiceUnavailable", "UpdateModelPackage")):
        outcome = world.rollbacker(sagemaker=sagemaker).by_hand(to=None, reason="bad answers", by="dave")

    assert outcome.verdict is Verdict.ROLL_BACK and outcome.to_version == 1 and not outcome.rejected
    assert outcome.pending and "lightship reject 2" in outcome.pending and outcome.pending in outcome.notes
    assert world.status(2) == "Approved" and world.history()[0] == (3, "rollback", 1, 2)


def test_a_candidate_alarm_whose_reject_fails_aborts_the_release_and_owes_the_rejection(two_live: World) -> None:
    """The release's abort keeps main's rule for a failing registry: the record write stands, the
    rejection is announced as owed (``pending``), and the next delivery of the alarm completes it."""
    import time
    from datetime import datetime, timedelta

    from lightship.release import controller
    from lightship.deployment.release_state import release_of
    from lightship.rollback.rollback import Rollbacker

    world = two_live
    world.register(0.90)  # version 3, Approved: the candidate
    plan = controller.make_plan(world.settings.release, canary=10.0)
    started = controller.start(world.registry(), world.record(), 3, plan, reason="canary", by="test")
    assert started.changed and started.release is not None
    candidate_alarm = "lightship-candidate-errors"
    assert started.deployment is not None
    # The alarm changed state while the release was under way, before the abort is written.
    the_alarm = alarm(world, candidate_alarm, datetime.fromisoformat(started.deployment.at) + timedelta(milliseconds=5))
    time.sleep(0.05)
    sagemaker = world.fresh("sagemaker")

    def rollbacker() -> Rollbacker:
        return Rollbacker(world.record(), world.registry(sagemaker), world.client("sns"), world.alerts_topic_arn,
                          candidate_alarms=frozenset({candidate_alarm}))

    throttled = client_error("ThrottlingException", "UpdateModelPackage", "Rate exceeded")
    with failing(sagemaker, "UpdateModelPackage", throttled) as calls:
        first = rollbacker().on_alarm(the_alarm)

    assert calls == [1]
    assert first.verdict is Verdict.RELEASE_ABORTED and not first.rejected and first.notified
    assert first.pending and "version 3 is still Approved" in first.pending
    live = world.record().live()
    assert live is not None and live.version == 2 and release_of(live.release) is None  # aborted: live untouched
    assert world.status(3) == "Approved"
    [announced] = world.alerts()
    assert "still Approved" in json.loads(announced["Message"])["pending"]

    again = rollbacker().on_alarm(the_alarm)  # the retry the handler's RollbackIncomplete asks for

    assert again.verdict is Verdict.IGNORE and again.rejected and again.pending is None
    assert world.status(3) == "Rejected"
    third = rollbacker().on_alarm(the_alarm)
    assert not third.rejected and third.pending is None
