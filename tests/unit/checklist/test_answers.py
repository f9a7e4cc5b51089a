"""Each checklist answer's yes, no and unknown paths, on evidence built by hand (no AWS)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lightship.checklist import answers as a
from lightship.checklist.answers import AlarmFacts, BatchRun, Evidence, LiveFacts, ServingFigures, VersionFacts
from lightship.checklist.evidence import expected_load
from lightship.estimate import Load, estimate
from lightship.settings import Settings
from tests.support.batch_machine import MACHINE

TOPIC = "arn:aws:sns:us-east-1:123456789012:lightship-rollback"
ALARMS = ("lightship-serving-error-rate", "lightship-serving-p99-latency")
LINEAGE: dict[str, Any] = {
    "git": {"commit": "a" * 40, "dirty": False, "repository": "git@example:lightship"},
    "data": {"uri": "s3://data/training/customers/0123abcd", "sha256": "f" * 64},
    "hyperparameters": {"model": "logistic", "seed": 42, "C": 0.5},
    "training_job": {"name": "lightship-logistic-1"},
}


def evidence(**changes: Any) -> Evidence:
    base = Evidence(
        settings=Settings(),
        version=VersionFacts(version=3, arn="arn:aws:sagemaker:us-east-1:1:model-package/lightship-models/3", status="Approved",
                             approval_description="gate: ok", evaluation_uri="s3://artifacts/evaluations/x.json",
                             evaluation={"lineage": LINEAGE, "metrics": {"roc_auc": 0.8}}, model_card_uri=None),
        earlier_approved=(2, 1),
        live=LiveFacts(table="lightship-deployments", live_version=3, revision=4, since="2026-12-01T00:00:00+00:00"),
        reproducibility=None,
        reproducibility_uri="s3://artifacts/reproducibility/v3.json",
        batch_runs=(),
        serving=None,
        capture_uri="s3://data/capture/model_version=3/",
        capture_objects=0,
        log_group="/aws/lambda/lightship-serving",
        batch_state_machine="lightship-batch-scoring",
        quality_report=None,
        quality_report_uri=None,
        alarms=AlarmFacts(expected=ALARMS, found={name: (TOPIC, "arn:alerts") for name in ALARMS}, rollback_topic_arn=TOPIC),
    )
    return replace(base, **changes)


def run(date: str = "2026-12-01", rows_in: int = 100, scored: int = 97, rejected: int = 3, drift: dict[str, Any] | None = None) -> BatchRun:
    return BatchRun(date=date, manifest_uri=f"s3://data/batch/reports/date={date}/manifest.json", status="complete",
                    rows_in=rows_in, rows_scored=scored, rows_rejected=rejected, rejected_by_reason={"tenure: missing": rejected},
                    quarantined=0, report_uri=f"s3://data/batch/reports/date={date}/report.json", drift=drift)


def with_lineage(**changes: Any) -> Evidence:
    e = evidence()
    lineage = {**LINEAGE, **changes}
    return replace(e, version=replace(e.version, evaluation={**e.version.evaluation, "lineage": lineage}))


# ---- lineage ---------------------------------------------------------------------------------

def test_lineage_is_yes_with_commit_data_hash_hyperparameters_and_job() -> None:
    answer = a.lineage_answer(evidence())
    assert answer.verdict == "yes"
    assert "s3://data/training/customers/0123abcd" in answer.detail and "C=0.5" in answer.detail
    assert "registry version 3" in answer.evidence[0] and answer.evidence[1] == "s3://artifacts/evaluations/x.json"


def test_lineage_is_no_without_a_commit_or_data_hash() -> None:
    answer = a.lineage_answer(with_lineage(git={"commit": "unknown"}, data={"uri": "s3://d/t/x"}))
    assert answer.verdict == "no"
    assert "code commit" in answer.detail and "data sha256" in answer.detail


def test_lineage_is_no_when_trained_from_a_dirty_tree() -> None:
    answer = a.lineage_answer(with_lineage(git={"commit": "b" * 40, "dirty": True}))
    assert answer.verdict == "no" and "uncommitted changes" in answer.detail


# ---- reproducibility --------------------------------------------------------------------------

def record(matched: bool) -> dict[str, Any]:
    checks = [{"name": "data", "passed": True}, {"name": "metrics", "passed": matched}, {"name": "predictions", "passed": matched}]
    return {"matched": matched, "checks": checks, "at": "2026-12-02T10:00:00+00:00", "rerun": {"job": "job-9"}}


def test_reproducible_is_no_without_a_recorded_rerun_and_says_how_to_get_one() -> None:
    answer = a.reproducibility_answer(evidence())
    assert answer.verdict == "no" and "lightship train --verify 3" in answer.detail
    assert answer.evidence == ("s3://artifacts/reproducibility/v3.json (absent)",)


def test_reproducible_is_yes_with_a_matching_rerun_and_no_with_a_differing_one() -> None:
    yes = a.reproducibility_answer(evidence(reproducibility=record(True)))
    no = a.reproducibility_answer(evidence(reproducibility=record(False)))
    assert yes.verdict == "yes" and yes.evidence[0] == "s3://artifacts/reproducibility/v3.json"
    assert no.verdict == "no" and "metrics, predictions" in no.detail


# ---- input -------------------------------------------------------------------------------------

def test_input_is_unknown_before_any_batch_run_or_request() -> None:
    assert a.input_answer(evidence()).verdict == "unknown"


def test_input_reports_batch_rejections_and_serving_refusals() -> None:
    serving = ServingFigures(source="CloudWatch Lightship ModelVersion=3", requests=50, errors_4xx=4, errors_5xx=0,
                             out_of_range=2, latency_avg_ms=3.0, latency_max_ms=9.0)
    answer = a.input_answer(evidence(batch_runs=(run(), run("2026-11-30", 10, 10, 0)), serving=serving))
    assert answer.verdict == "yes"
    assert "2 run(s), 110 rows, 3 rejected" in answer.detail and "3 tenure: missing" in answer.detail
    assert "4 refused (4xx)" in answer.detail and "2 instances out of the training range" in answer.detail
    assert answer.evidence[0] == "s3://data/batch/reports/date=2026-12-01/manifest.json"


def test_input_is_no_when_a_batch_run_lost_rows() -> None:
    answer = a.input_answer(evidence(batch_runs=(run(rows_in=100, scored=90, rejected=3),)))
    assert answer.verdict == "no" and "lost 7 rows" in answer.detail


# ---- live / batch ------------------------------------------------------------------------------

def test_serving_is_yes_when_live_and_names_the_schedule() -> None:
    answer = a.serving_answer(evidence())
    assert answer.verdict == "yes" and "cron(0 3 * * ? *)" in answer.detail and "lightship-batch-scoring" in answer.detail


def test_serving_is_yes_for_a_release_candidate_and_unknown_when_not_deployed() -> None:
    candidate = evidence(live=LiveFacts(table="t", live_version=2, revision=5, candidate_version=3, candidate_mode="canary", candidate_weight=10.0))
    idle = evidence(live=LiveFacts(table="t", live_version=2, revision=5))
    assert a.serving_answer(candidate).verdict == "yes" and "canary, weight 10%" in a.serving_answer(candidate).detail
    assert a.serving_answer(idle).verdict == "unknown" and "lightship deploy 3" in a.serving_answer(idle).detail


def test_serving_is_no_for_a_rejected_version() -> None:
    e = evidence()
    answer = a.serving_answer(replace(e, version=replace(e.version, status="Rejected", approval_description="rolled back: p99")))
    assert answer.verdict == "no" and "rolled back: p99" in answer.detail


# ---- latency and cost ----------------------------------------------------------------------------

def figures(avg: float) -> ServingFigures:
    return ServingFigures(source="CloudWatch x", requests=10, errors_4xx=0, errors_5xx=0, out_of_range=0, latency_avg_ms=avg, latency_max_ms=avg * 2)


def test_latency_is_unknown_without_traffic_but_lists_the_limits() -> None:
    answer = a.latency_answer(evidence())
    assert answer.verdict == "unknown" and "2048 MB" in answer.detail and "p99 alarm at 1000 ms" in answer.detail


def test_latency_is_yes_under_and_no_over_the_alarm_threshold() -> None:
    assert a.latency_answer(evidence(serving=figures(4.0))).verdict == "yes"
    over = a.latency_answer(evidence(serving=figures(1500.0)))
    assert over.verdict == "no" and over.evidence[0] == "CloudWatch x"


def test_cost_is_unknown_with_the_reason_when_no_estimate_could_be_made() -> None:
    answer = a.cost_answer(evidence(cost_error="estimate.prices.lambda_gb_second: not a number"))
    assert (answer.verdict, answer.detail) == ("unknown", "no estimate: estimate.prices.lambda_gb_second: not a number")


def test_cost_cites_the_estimate_per_million_predictions_and_per_batch_day_and_what_binds_first() -> None:
    settings = Settings()
    within = estimate(settings, Load(rps=50, batch_rows=250_000), MACHINE)
    answer = a.cost_answer(evidence(cost=within))
    assert answer.verdict == "yes"
    assert f"${within.per_million_predictions:,.2f} per million predictions at 50 req/s" in answer.detail
    assert f"${within.per_batch_day:,.2f} per batch day of 250,000 rows" in answer.detail
    assert answer.evidence[0] == "lightship estimate --rps 50 --batch-rows 250000"
    # The stage throttle is 100 req/s by default: 50 req/s is half of it, and nothing is over its limit.
    assert within.binding.utilization <= 1


def test_cost_is_no_when_the_load_is_over_a_limit() -> None:
    over = estimate(Settings(), Load(rps=1_000, batch_rows=0), MACHINE)  # ten times the default stage throttle
    answer = a.cost_answer(evidence(cost=over))
    assert answer.verdict == "no" and "over the limit at this load" in answer.detail


def test_the_checklist_prices_the_configured_request_rate_and_the_newest_batch_day() -> None:
    settings = Settings(serving={"throttle_rate_limit": 40}, batch={"chunk_rows": 1234})
    assert expected_load(settings, ()) == Load(rps=40.0, batch_rows=1234)
    run = BatchRun(date="2026-12-02", manifest_uri="s3://d/m.json", status="SUCCEEDED", rows_in=9_000, rows_scored=8_990,
                   rows_rejected=10, rejected_by_reason={}, quarantined=0, report_uri=None, drift=None)
    assert expected_load(settings, (run,)) == Load(rps=40.0, batch_rows=9_000)


# ---- logging, drift, quality -----------------------------------------------------------------------

def test_logging_is_no_when_capture_is_off_and_yes_with_where_it_lands() -> None:
    off = evidence(settings=Settings(serving={"capture_sample_rate": 0.0}))
    on = evidence(capture_objects=4)
    assert a.logging_answer(off).verdict == "no" and "capture is off" in a.logging_answer(off).detail
    assert a.logging_answer(on).verdict == "yes"
    assert "10% of requests" in a.logging_answer(on).detail and "s3://data/capture/model_version=3/" in a.logging_answer(on).detail


def test_drift_is_unknown_before_the_first_report_and_yes_with_the_last_one() -> None:
    none_yet = a.drift_answer(evidence(batch_runs=(run(drift=None),)))
    assert none_yet.verdict == "unknown" and "PSI > 0.2 or KS D > 0.1" in none_yet.detail
    drifted = run("2026-12-02", drift={"alert": True, "drifted_features": ["tenure"], "prediction_drifted": True, "max_psi": 0.41})
    answer = a.drift_answer(evidence(batch_runs=(drifted, run())))
    assert answer.verdict == "yes" and "2026-12-02" in answer.detail and "tenure, prediction" in answer.detail
    assert answer.evidence[0] == "s3://data/batch/reports/date=2026-12-02/report.json"


def quality(verdict: str, breach: bool) -> dict[str, Any]:
    return {"date": "2026-12-02", "versions": [{"version": 3, "primary_metric": "roc_auc", "verdict": verdict, "breach": breach,
                                               "labeled": 500, "holdout": {"roc_auc": 0.8}, "realized": {"roc_auc": {"value": 0.7}}}]}


@pytest.mark.parametrize(("verdict", "breach", "expected"), [
    ("ok", False, "yes"), ("below holdout", True, "no"), ("too few labels (< 200)", False, "unknown")])
def test_quality_follows_the_last_report_for_the_version(verdict: str, breach: bool, expected: str) -> None:
    answer = a.quality_answer(evidence(quality_report=quality(verdict, breach), quality_report_uri="s3://data/quality/r.json"))
    assert answer.verdict == expected and answer.evidence == ("s3://data/quality/r.json",)


def test_quality_is_unknown_without_a_report() -> None:
    assert a.quality_answer(evidence()).verdict == "unknown"


# ---- alarms, rollback, card, exit code ----------------------------------------------------------------

def test_alarms_are_yes_when_every_live_alarm_notifies_the_rollback_topic() -> None:
    assert a.alarms_answer(evidence()).verdict == "yes"


def test_alarms_are_no_when_one_is_missing_or_not_routed() -> None:
    e = evidence()
    missing = replace(e, alarms=replace(e.alarms, found={ALARMS[0]: (TOPIC,)}))
    unrouted = replace(e, alarms=replace(e.alarms, found={ALARMS[0]: (TOPIC,), ALARMS[1]: ("arn:alerts",)}))
    assert a.alarms_answer(missing).verdict == "no" and f"missing: {ALARMS[1]}" in a.alarms_answer(missing).detail
    assert a.alarms_answer(unrouted).verdict == "no" and "not sent to the rollback topic" in a.alarms_answer(unrouted).detail


def test_rollback_is_yes_with_an_earlier_approved_version_and_no_without() -> None:
    yes = a.rollback_answer(evidence())
    no = a.rollback_answer(evidence(earlier_approved=()))
    assert yes.verdict == "yes" and yes.evidence == ("registry version 2",)
    assert no.verdict == "no" and "no Approved version older than 3" in no.detail


def test_card_is_no_until_written_and_complete() -> None:
    e = evidence()
    written = replace(e, version=replace(e.version, model_card_uri="s3://artifacts/model-cards/v3.html"))
    assert a.card_answer(e).verdict == "no"
    partial = a.card_answer(replace(written, card={"intended_use": "churn outreach", "limitations": None}))
    assert partial.verdict == "no" and "limitations as missing" in partial.detail
    complete = a.card_answer(replace(written, card={"intended_use": "churn outreach", "limitations": "EU customers only"}))
    assert complete.verdict == "yes" and complete.evidence[0] == "s3://artifacts/model-cards/v3.html"


def test_exit_code_fails_on_any_no_and_not_on_unknown() -> None:
    yes = a.Answer("k", "q", "yes", "d")
    unknown = a.Answer("k", "q", "unknown", "d")
    no = a.Answer("k", "q", "no", "d")
    assert a.exit_code([yes, unknown]) == 0
    assert a.exit_code([yes, unknown, no]) == 1


def test_answer_all_asks_every_question_once() -> None:
    keys = [answer.key for answer in a.answer_all(evidence())]
    assert keys == ["lineage", "reproducible", "input", "serving", "latency", "cost", "logging", "drift", "quality", "alarms", "rollback"]
