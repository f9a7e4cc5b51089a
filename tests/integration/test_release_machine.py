"""The release state machine the release stack synthesizes, executed on the emulator against real serving:
promotion after every step passes, abort on a candidate alarm, hold-then-abort for too little traffic,
and a candidate whose bundle cannot load."""

from __future__ import annotations

import pandas as pd

from lightship.clients import client
from lightship.local.emulator import LocalEmulator
from lightship.release.controller import Plan
from lightship.deployment.release_state import CANARY
from lightship.settings import Settings
from tests.integration.release_support import (
    Traffic,
    launch_release,
    record,
    registry,
    serving_to_cloudwatch,
    states_entered,
    two_versions,
    wait_for_execution,
)
from tests.integration.rollback_support import wait_for


def test_a_canary_that_holds_through_every_step_is_promoted(emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame) -> None:
    resources = emulator.resources
    assert resources is not None
    v1, v2 = two_versions(settings, resources, customers_frame)
    serving = serving_to_cloudwatch(settings)
    traffic = Traffic(serving).start()
    try:
        launched = launch_release(settings, resources, v2.version, Plan(CANARY, (30.0, 60.0), 2.0, 3, 2))
        described = wait_for_execution(launched.execution_arn)
    finally:
        traffic.stop()
        serving.close()
    assert described["status"] == "SUCCEEDED", described
    assert states_entered(launched.execution_arn)[-3:] == ["Promote", "PromoteOutcome", "Promoted"]
    live = record(resources).live()
    assert live is not None and (live.version, live.action, live.previous_version) == (v2.version, "release_promote", v1.version)
    assert live.release is None
    actions = [(h.action, h.version) for h in reversed(record(resources).history())]
    assert actions == [("deploy", 1), ("release_start", 1), ("release_step", 1), ("release_step", 1), ("release_promote", 2)]
    # Every request was answered, and the candidate answered some while it was a canary.
    assert {status for status, _, _ in traffic.answers} == {200}
    assert {(version, role) for _, version, role in traffic.answers} >= {(1, "live"), (2, "candidate")}


def test_a_candidate_rejected_during_its_release_is_never_promoted(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    resources = emulator.resources
    assert resources is not None
    v1, v2 = two_versions(settings, resources, customers_frame)
    serving = serving_to_cloudwatch(settings)
    traffic = Traffic(serving).start()
    try:
        launched = launch_release(settings, resources, v2.version, Plan(CANARY, (50.0,), 3.0, 1, 2))
        wait_for(lambda: (r := record(resources).live()) is not None and r.action == "release_step", what="first step")
        registry(settings, resources).reject(v2.version, "a reviewer found a leak in its features", by="reviewer")
        described = wait_for_execution(launched.execution_arn)
    finally:
        traffic.stop()
        serving.close()
    assert described["status"] == "FAILED" and states_entered(launched.execution_arn)[-4:] == [
        "Promote", "PromoteOutcome", "Abort", "ReleaseAborted"]
    live = record(resources).live()
    assert live is not None and (live.version, live.action, live.release) == (v1.version, "release_abort", None)
    assert f"version {v2.version} is Rejected (rejected by reviewer: a reviewer found a leak in its features)" in live.reason
    rejected = registry(settings, resources).version(v2.version)
    assert rejected.status == "Rejected" and rejected.approval_description == "rejected by reviewer: a reviewer found a leak in its features"
    assert "release_promote" not in [h.action for h in record(resources).history()]


def test_a_candidate_alarm_aborts_the_canary_within_seconds_and_live_keeps_answering(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    resources = emulator.resources
    assert resources is not None
    v1, v2 = two_versions(settings, resources, customers_frame)
    serving = serving_to_cloudwatch(settings)
    traffic = Traffic(serving).start()
    try:
        launched = launch_release(settings, resources, v2.version, Plan(CANARY, (50.0,), 8.0, 1, 0))
        wait_for(lambda: (r := record(resources).live()) is not None and r.action == "release_step", what="first step")
        client("cloudwatch").set_alarm_state(AlarmName="lightship-candidate-error-rate", StateValue="ALARM",
                                             StateReason="Threshold Crossed: candidate 5xx above 0.05")
        # The emulator delivers the alarm (SNS -> the rollback function), which aborts the release.
        wait_for(lambda: record(resources).live().action == "release_abort", timeout=10, what="abort")  # type: ignore[union-attr]
        described = wait_for_execution(launched.execution_arn)
        after_abort = len(traffic.answers)
        wait_for(lambda: len(traffic.answers) > after_abort + 10, what="traffic after the abort")
    finally:
        traffic.stop()
        serving.close()
    live = record(resources).live()
    assert live is not None and (live.version, live.action, live.release) == (v1.version, "release_abort", None)
    assert "lightship-candidate-error-rate" in live.reason and "Threshold Crossed" in live.reason
    assert registry(settings, resources).version(v2.version).status == "Rejected"
    # The machine saw the release ended by the alarm path: it stops without a second abort.
    assert described["status"] == "SUCCEEDED" and states_entered(launched.execution_arn)[-1] == "Ended"
    assert [h.action for h in record(resources).history()].count("release_abort") == 1
    assert {status for status, _, _ in traffic.answers} == {200}
    assert {version for _, version, _ in traffic.answers[after_abort:]} == {v1.version}


def test_too_little_traffic_holds_the_step_then_aborts_without_promoting(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    resources = emulator.resources
    assert resources is not None
    v1, v2 = two_versions(settings, resources, customers_frame)
    launched = launch_release(settings, resources, v2.version, Plan(CANARY, (10.0,), 1.0, 5, 1))  # no traffic at all
    described = wait_for_execution(launched.execution_arn)
    assert described["status"] == "FAILED" and described.get("error") == "ReleaseAborted"
    states = states_entered(launched.execution_arn)
    assert states.count("Bake") == 2 and states.count("Check") == 2 and "Promote" not in states
    live = record(resources).live()
    assert live is not None and (live.version, live.action) == (v1.version, "release_abort")
    assert "too little traffic" in live.reason
    # Not the candidate's fault: it stays Approved, to be released again with traffic.
    assert registry(settings, resources).version(v2.version).status == "Approved"


def test_a_candidate_whose_bundle_fails_to_load_is_aborted_and_live_is_untouched(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    resources = emulator.resources
    assert resources is not None
    v1, v2 = two_versions(settings, resources, customers_frame)
    bucket, key = v2.model_data_url.removeprefix("s3://").split("/", 1)
    client("s3").put_object(Bucket=bucket, Key=key, Body=b"not a model bundle")
    serving = serving_to_cloudwatch(settings)
    traffic = Traffic(serving).start()
    try:
        launched = launch_release(settings, resources, v2.version, Plan(CANARY, (50.0, 100.0), 2.0, 3, 2))
        described = wait_for_execution(launched.execution_arn)
    finally:
        traffic.stop()
        serving.close()
    assert described["status"] == "FAILED" and "Promote" not in states_entered(launched.execution_arn)
    live = record(resources).live()
    assert live is not None and (live.version, live.action) == (v1.version, "release_abort")
    assert "failed to load" in live.reason
    assert registry(settings, resources).version(v2.version).status == "Rejected"
    assert {(status, version) for status, version, _ in traffic.answers} == {(200, v1.version)}
