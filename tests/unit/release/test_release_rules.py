"""The release's pure rules: the plan from options, a step's verdict from its evidence, which transitions
the record allows, whether a candidate alarm aborts, and the shadow report's figures."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightship.deployment.record import Deployment
from lightship.deployment.transition import Action, TransitionRefused, VersionRef, check
from lightship.rollback.candidate import judge_candidate_alarm
from lightship.release.checks import ABORT, HOLD, NEXT, PROMOTE, READY, Evidence, judge
from lightship.release.controller import ReleaseRefused, make_plan, parse_bake
from lightship.release.report import build_report, percentile, render_html
from lightship.deployment.release_state import CANARY, SHADOW, Release
from lightship.monitoring.alarm_events import AlarmStateChange
from lightship.settings import ReleaseSettings

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def _release(**changes: object) -> Release:
    base = Release(id="r1", candidate_version=3, candidate_package_arn="arn:p/3", candidate_model_data_url="s3://a/3",
                   mode=CANARY, steps=(10.0, 50.0), step=0, bake_seconds=60.0, min_requests=10, max_holds=2,
                   started_at=T0.isoformat(), step_started_at=T0.isoformat())
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _entry(revision: int, action: str, at: datetime, release: Release | None = None, version: int = 2) -> Deployment:
    return Deployment(version=version, package_arn=f"arn:p/{version}", model_data_url=f"s3://a/{version}", revision=revision,
                      action=action, reason="", by="t", at=at.isoformat(), release=release.to_json() if release else None)


def test_plan_defaults_come_from_settings_and_options_override_them() -> None:
    settings = ReleaseSettings(steps=[5.0, 25.0], bake_minutes=2.0, min_requests=7, max_holds=1, shadow_sample_rate=0.3)
    plan = make_plan(settings)
    assert (plan.mode, plan.steps, plan.bake_seconds, plan.min_requests, plan.max_holds) == (CANARY, (5.0, 25.0), 120.0, 7, 1)
    assert make_plan(settings, canary=10.0, bake_seconds=30.0).steps == (10.0,)
    assert make_plan(settings, steps=[10.0, 50.0, 100.0]).steps == (10.0, 50.0, 100.0)
    shadow = make_plan(settings, shadow=True)
    assert (shadow.mode, shadow.steps) == (SHADOW, (30.0,))
    assert make_plan(settings, shadow=True, sample=0.5).steps == (50.0,)


@pytest.mark.parametrize(("options", "message"), [
    ({"canary": 10.0, "steps": [10.0, 20.0]}, "not both"),
    ({"steps": [50.0, 10.0]}, "more traffic"),
    ({"canary": 0.0}, r"\(0, 100\]"),
    ({"canary": 150.0}, r"\(0, 100\]"),
    ({"shadow": True, "canary": 10.0}, "cannot be combined"),
    ({"shadow": True, "sample": 1.5}, r"\(0, 1\]"),
    ({"sample": 0.5}, "--shadow only"),
])
def test_a_plan_that_makes_no_sense_is_refused_in_one_line(options: dict[str, object], message: str) -> None:
    with pytest.raises(ReleaseRefused, match=message):
        make_plan(ReleaseSettings(), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600.0), ("90s", 90.0), ("1h", 3600.0), ("2", 120.0), ("0.5m", 30.0)])
def test_bake_durations(text: str, seconds: float) -> None:
    assert parse_bake(text) == seconds


def test_bake_refuses_what_is_not_a_duration() -> None:
    with pytest.raises(ReleaseRefused, match="10x"):
        parse_bake("10x")


def test_a_step_passes_holds_or_aborts_on_its_evidence() -> None:
    first, last = _release(step=0), _release(step=1)
    assert judge(first, Evidence(10, 0, ()), 0).verdict == NEXT
    assert judge(last, Evidence(10, 0, ()), 0).verdict == PROMOTE
    assert judge(dataclasses.replace(last, mode=SHADOW), Evidence(10, 0, ()), 0).verdict == READY
    held = judge(first, Evidence(3, 0, ()), 0)
    assert (held.verdict, held.holds) == (HOLD, 1)
    assert judge(first, Evidence(3, 0, ()), 1).verdict == HOLD
    starved = judge(first, Evidence(3, 0, ()), 2)
    assert starved.verdict == ABORT and "too little traffic" in starved.reason and not starved.blame_candidate
    alarmed = judge(last, Evidence(1000, 0, (("lightship-candidate-error-rate", "Threshold Crossed"),)), 0)
    assert alarmed.verdict == ABORT and alarmed.blame_candidate and "lightship-candidate-error-rate" in alarmed.reason
    broken = judge(last, Evidence(0, 2, ()), 0)
    assert broken.verdict == ABORT and broken.blame_candidate and "failed to load" in broken.reason


@given(requests=st.floats(min_value=0, max_value=1e6), holds=st.integers(min_value=0, max_value=10))
def test_an_untested_version_is_never_promoted(requests: float, holds: int) -> None:
    verdict = judge(_release(step=1), Evidence(requests, 0, ()), holds)
    if verdict.verdict == PROMOTE:
        assert requests >= 10
    assert verdict.verdict in {PROMOTE, HOLD, ABORT}


def test_the_record_refuses_deploy_and_rollback_during_a_release_and_a_second_release() -> None:
    during = _entry(5, "release_step", T0, _release())
    target = VersionRef(1, "arn:p/1", "s3://a/1")
    for action in (Action.DEPLOY, Action.ROLLBACK):
        with pytest.raises(TransitionRefused, match="lightship release abort"):
            check(during, action, target=target, release=None, release_id=None)
    with pytest.raises(TransitionRefused, match="one release at a time"):
        check(during, Action.RELEASE_START, target=None, release=_release(id="r2"), release_id=None)
    with pytest.raises(TransitionRefused, match="release r0 is over"):
        check(during, Action.RELEASE_PROMOTE, target=None, release=None, release_id="r0")
    idle = _entry(4, "deploy", T0)
    with pytest.raises(TransitionRefused, match="no release is under way"):
        check(idle, Action.RELEASE_ABORT, target=None, release=None, release_id="r1")
    with pytest.raises(TransitionRefused, match="already live"):
        check(idle, Action.RELEASE_START, target=None, release=_release(candidate_version=2), release_id=None)
    with pytest.raises(TransitionRefused, match="needs a live version"):
        check(None, Action.RELEASE_START, target=None, release=_release(), release_id=None)
    check(idle, Action.DEPLOY, target=target, release=None, release_id=None)  # allowed


def _alarm(at: datetime, state: str = "ALARM") -> AlarmStateChange:
    return AlarmStateChange(alarm_name="lightship-candidate-error-rate", new_state=state, reason="r", changed_at=at, route="sns")


def test_a_candidate_alarm_aborts_only_the_release_it_is_about() -> None:
    release = _release()
    history = [_entry(3, "deploy", T0 - timedelta(hours=1)), _entry(4, "release_start", T0, release),
               _entry(5, "release_step", T0 + timedelta(minutes=1), release)]
    live = history[-1]
    assert judge_candidate_alarm(_alarm(T0 + timedelta(minutes=2)), live, history).abort
    assert not judge_candidate_alarm(_alarm(T0 - timedelta(minutes=5)), live, history).abort  # before the release
    assert not judge_candidate_alarm(_alarm(T0 + timedelta(minutes=2), "OK"), live, history).abort
    ended = [*history, _entry(6, "release_abort", T0 + timedelta(minutes=3))]
    assert not judge_candidate_alarm(_alarm(T0 + timedelta(minutes=2)), ended[-1], ended).abort  # delivered twice
    other = _release(id="r2")
    later = [*ended, _entry(7, "release_start", T0 + timedelta(minutes=10), other)]
    verdict = judge_candidate_alarm(_alarm(T0 + timedelta(minutes=2)), later[-1], later)
    assert not verdict.abort and "earlier release" in verdict.why


def test_shadow_report_sums_agreement_deltas_latency_and_errors() -> None:
    records = [
        {"live_version": 1, "candidate_version": 2, "instances": 2, "agree": [True, False], "abs_delta": [0.1, 0.4],
         "live_ms": 1.0, "candidate_ms": 2.0, "error": None, "late": False},
        {"live_version": 1, "candidate_version": 2, "instances": 1, "agree": [True], "abs_delta": [0.0],
         "live_ms": 3.0, "candidate_ms": 4.0, "error": None, "late": False},
        {"live_version": 1, "candidate_version": 2, "instances": 1, "agree": [], "abs_delta": [],
         "live_ms": 2.0, "candidate_ms": 50.0, "error": "RuntimeError: boom", "late": True},
    ]
    report = build_report("r1", records)
    assert (report.requests, report.instances, report.compared) == (3, 4, 3)
    assert report.agreement_rate == pytest.approx(2 / 3)
    assert report.mean_abs_delta == pytest.approx(0.5 / 3) and report.max_abs_delta == pytest.approx(0.4)
    assert report.latency_ms["live"] == {"p50": 2.0, "p99": 3.0}
    assert report.latency_ms["candidate"] == {"p50": 2.0, "p99": 4.0}  # an errored call's time is not a latency
    assert (report.errors, report.past_deadline, report.error_examples) == (1, 1, ["RuntimeError: boom"])
    page = render_html(report)
    assert "66.67%" in page and "RuntimeError: boom" in page


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0 and percentile(list(map(float, range(1, 101))), 99) == 99.0
