"""Under load, a bundle that fails to load, the record table unreachable for a while and S3
unreachable lose no request, hang none, answer no 5xx, and the old model keeps answering until a
good new one can be loaded (tests/support/fault_run.py runs the scenario)."""

from __future__ import annotations

import pandas as pd

from lightship import observability as names
from lightship.local.emulator import LocalEmulator
from lightship.settings import Settings
from tests.support.fault_run import run_under_faults

TIMEOUT = 10.0
CONCURRENCY = 4


def test_faults_mid_run_lose_no_request_and_the_old_model_keeps_answering(
    emulator: LocalEmulator, settings: Settings, customers_frame: pd.DataFrame
) -> None:
    assert emulator.resources is not None
    run = run_under_faults(settings, emulator.resources, customers_frame, seconds=4.0, concurrency=CONCURRENCY, timeout=TIMEOUT)
    good, broken, later = run.versions["good"], run.versions["broken"], run.versions["next"]

    assert run.errors == []  # no reset, refused or timed-out request
    assert len(run.answers) == run.sent >= 4 * CONCURRENCY  # every request sent was answered
    assert run.statuses == {200: run.sent}  # no 5xx (the model never raises here), no 4xx either
    assert max(a.seconds for a in run.answers) < TIMEOUT / 2  # none hung
    # The old model answered through every fault, until the good new one could be read from S3.
    record_down, record_up = run.at("record table unreachable"), run.at("record table back")
    s3_down, s3_up = run.at("S3 unreachable"), run.at("S3 back")
    assert run.answered_between(record_down, record_up) and run.answered_between(s3_down, s3_up)  # load went on
    assert {a.version for a in run.answered_between(0.0, s3_up)} == {good}
    assert broken not in {a.version for a in run.answers}
    assert {a.version for a in run.answered_between(s3_up + 1.0, run.duration + TIMEOUT)} == {later}
    # The faults really happened, and the failures were counted where alarms see them.
    assert run.record_failed_calls > 0 and run.s3_failed_calls > 0
    assert run.metric(names.MODEL_LOAD_FAILURES, broken) >= 1
    assert run.metric(names.MODEL_LOAD_FAILURES, later) >= 1  # tried while S3 was down
    assert run.metric(names.ERRORS_5XX, good) == 0 and run.metric(names.ERRORS_5XX, later) == 0
    assert run.metric(names.REQUESTS, good) + run.metric(names.REQUESTS, later) == run.sent  # one EMF line each
