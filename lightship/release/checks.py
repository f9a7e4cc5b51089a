"""What a release step must show before it passes, and the verdict: pure rules plus the CloudWatch reads.

:func:`gather` reads the evidence for the step in force: how many requests the candidate
answered (canary) or scored (shadow) since the step began, how often its bundle failed to
load since the release began (both from the ``Role=candidate`` series serving emits), and
which candidate alarms went to ALARM since the release began (an alarm left in ALARM by
an earlier release is about that one). :func:`judge` turns it into the next move:

* a candidate alarm, or a candidate that cannot load -> ``abort``;
* fewer than ``min_requests`` -> ``hold`` (bake again), and after ``max_holds`` holds ->
  ``abort``: an untested version is never promoted;
* otherwise the next step, or at the last one ``promote`` (canary) / ``ready`` (shadow:
  a person reads the report and promotes).

Called by :mod:`lightship.release.machine` (the release state machine's Check task).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from lightship import observability as names
from lightship.deployment.release_state import CANARY, Release
from lightship.monitoring.alarm_events import parse_time

NEXT = "next"
HOLD = "hold"
PROMOTE = "promote"
READY = "ready"
ABORT = "abort"
ENDED = "ended"
PROMOTED = "promoted"  # what the promote task answers when it made the candidate live


@dataclass(frozen=True)
class Evidence:
    requests: float
    load_failures: float
    alarms: tuple[tuple[str, str], ...]  # (alarm name, state reason) in ALARM since the release began


@dataclass(frozen=True)
class StepVerdict:
    verdict: str
    reason: str
    holds: int
    blame_candidate: bool = False  # an abort for the candidate's own failure marks it Rejected; too little traffic does not


def judge(release: Release, evidence: Evidence, holds: int) -> StepVerdict:
    step = f"step {release.step + 1} of {len(release.steps)} ({release.weight:g} %)"
    if evidence.alarms:
        name, why = evidence.alarms[0]
        return StepVerdict(ABORT, f"candidate alarm {name} in ALARM: {why}", holds, blame_candidate=True)
    if evidence.load_failures > 0:
        return StepVerdict(ABORT, f"version {release.candidate_version}'s bundle failed to load "
                                  f"{evidence.load_failures:g} times: it never answered", holds, blame_candidate=True)
    if evidence.requests < release.min_requests:
        if holds >= release.max_holds:
            return StepVerdict(ABORT, f"too little traffic: {step} saw {evidence.requests:g} candidate requests, "
                                      f"{release.min_requests} needed, after {holds + 1} bakes; an untested version is never promoted",
                               holds)
        return StepVerdict(HOLD, f"{step}: {evidence.requests:g} candidate requests of {release.min_requests} needed; baking again",
                           holds + 1)
    if not release.last_step:
        return StepVerdict(NEXT, f"{step} passed with {evidence.requests:g} candidate requests", 0)
    if release.mode == CANARY:
        return StepVerdict(PROMOTE, f"all {len(release.steps)} steps passed ({evidence.requests:g} candidate requests in the last)", 0)
    return StepVerdict(READY, f"shadow evidence ready ({evidence.requests:g} shadowed requests): read `lightship release report`, "
                              "then `lightship release promote` or `abort`", 0)


def gather(cloudwatch: Any, release: Release, candidate_alarms: list[str], now: datetime | None = None) -> Evidence:
    end = now or datetime.now(timezone.utc)
    dimensions = [
        {"Name": "service", "Value": names.SERVICE_SERVING},
        {"Name": names.DIMENSION_ROLE, "Value": names.ROLE_CANDIDATE},
        {"Name": names.DIMENSION_MODEL_VERSION, "Value": str(release.candidate_version)},
    ]
    started = parse_time(release.started_at)
    requests = _sum(cloudwatch, names.REQUESTS, dimensions, parse_time(release.step_started_at), end)
    failures = _sum(cloudwatch, names.MODEL_LOAD_FAILURES, dimensions, started, end)
    alarms: list[tuple[str, str]] = []
    if candidate_alarms:
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=candidate_alarms):
            for alarm in page.get("MetricAlarms", []):
                changed = alarm["StateUpdatedTimestamp"]
                changed = changed if changed.tzinfo else changed.replace(tzinfo=timezone.utc)
                if alarm["StateValue"] == "ALARM" and changed >= started:
                    alarms.append((alarm["AlarmName"], alarm.get("StateReason", "")))
    return Evidence(requests, failures, tuple(sorted(alarms)))


def _sum(cloudwatch: Any, metric: str, dimensions: list[dict[str, str]], start: datetime, end: datetime) -> float:
    # One period covering the whole window (CloudWatch wants a multiple of 60 s), plus a minute of slack each side.
    begin = start - timedelta(seconds=start.second, microseconds=start.microsecond)
    period = max(60, int(math.ceil((end - begin).total_seconds() / 60.0)) * 60 + 60)
    response = cloudwatch.get_metric_statistics(
        Namespace=names.NAMESPACE, MetricName=metric, Dimensions=dimensions,
        StartTime=begin, EndTime=begin + timedelta(seconds=period), Period=period, Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in response.get("Datapoints", [])))
