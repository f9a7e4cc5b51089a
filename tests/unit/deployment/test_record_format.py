"""The deployment record as a user's own tooling reads it: one ``at`` format (ISO 8601 UTC,
milliseconds, ``Z``) whoever wrote the entry, ``details`` a DynamoDB map, and items written
before it was one (a JSON string) still read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from lightship.deployment.deploy import deploy
from lightship.deployment.record import details_from_cell, details_to_map, record_time
from lightship.release import controller
from lightship.release.controller import Plan
from lightship.deployment.release_state import CANARY
from lightship.rollback.rollback import Rollbacker  # noqa: F401 - the writer under test, through world.rollbacker
from tests.support.record_world import ERRORS, World, ago, alarm

AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # stated here, not taken from the code


def test_record_time_is_utc_milliseconds_with_z() -> None:
    assert record_time(datetime(2026, 12, 3, 19, 53, 7, 123456, tzinfo=timezone.utc)) == "2026-12-03T19:53:07.123Z"
    assert record_time(datetime(2026, 12, 3, 21, 53, 7, tzinfo=timezone(timedelta(hours=2)))) == "2026-12-03T19:53:07.000Z"
    assert record_time("2026-11-23T11:52:31+00:00") == "2026-11-23T11:52:31.000Z"  # an old deploy's seconds
    assert record_time("2026-11-23T11:52:31.5+0000") == "2026-11-23T11:52:31.500Z"  # CloudWatch's style
    assert record_time("2026-11-23T11:52:31") == "2026-11-23T11:52:31.000Z"  # no zone: UTC
    assert AT.match(record_time())


def test_every_writer_stores_one_at_format_and_details_as_a_map(two_live: World) -> None:
    world = two_live
    world.register(0.9)
    deploy(world.registry(), world.record(), 3, reason="by hand", by="tests")
    outcome = world.rollbacker().on_alarm(alarm(world, ERRORS, ago(0)))
    assert outcome.alarm == ERRORS
    controller.start(world.registry(), world.record(), 2 if world.record().live().version != 2 else 1,  # type: ignore[union-attr]
                     Plan(CANARY, (10.0, 100.0), 60.0, 1, 1), reason="canary", by="tests")
    items = world.client("dynamodb").scan(TableName=world.resources.deployment_table)["Items"]
    history = {int(i["revision"]["N"]): i for i in items if i["pk"]["S"] == "history"}
    actions = [history[r]["action"]["S"] for r in sorted(history)]
    assert actions[2:] == ["deploy", "rollback", "release_start"], actions
    for revision in sorted(history)[2:]:  # revisions 1-2 were written by the fixture, not a writer
        item = history[revision]
        assert AT.match(item["at"]["S"]), item["at"]
        assert set(item["details"]) == {"M"}, item["details"]  # a map, not a JSON string
    rolled = world.record().history(limit=10)
    by_action = {d.action: d for d in reversed(rolled)}  # the newest of each action
    assert by_action["rollback"].details["alarm"]["name"] == ERRORS
    assert by_action["rollback"].details["failed_version"] == 3 and by_action["rollback"].details["rolled_back_to"] == 2
    assert by_action["deploy"].details["lineage"]["training_job"]["name"] == "job-3"


def test_an_item_written_with_details_as_a_json_string_still_reads(world: World) -> None:
    table = world.resources.deployment_table
    old = {"pk": {"S": "live"}, "sk": {"S": "current"}, "version": {"N": "4"}, "package_arn": {"S": "arn"},
           "model_data_url": {"S": "s3://b/k"}, "revision": {"N": "7"}, "action": {"S": "rollback"},
           "reason": {"S": "old"}, "by": {"S": "someone"}, "at": {"S": "2026-11-20T10:00:00+00:00"},
           "details": {"S": '{"alarm": {"name": "x", "threshold": 0.05}, "failed_version": 5}'}}
    world.client("dynamodb").put_item(TableName=table, Item=old)
    live = world.record().live()
    assert live is not None
    assert live.details == {"alarm": {"name": "x", "threshold": 0.05}, "failed_version": 5}
    assert live.details_dict["failed_version"] == 5


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4))
def test_details_survive_the_map_as_json_would_have_kept_them(details: dict[str, object]) -> None:
    assert details_from_cell(details_to_map(details)) == details
