"""``estimate(settings, load)``: the arithmetic against figures worked by hand, and its properties.

The hand figures use the default settings and the default price table (us-east-1 list prices in
lightship/estimate/prices.py); each expected value below is worked in its comment, not taken from
the code. A month is 730 h = 2,628,000 s; a GiB is 1,073,741,824 bytes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from lightship.estimate import Load, estimate
from lightship.estimate.prices import estimate_settings
from lightship.estimate.transitions import count_transitions
from lightship.settings import Settings, load_settings
from tests.support.batch_machine import MACHINE



DEFAULTS = load_settings({})


@pytest.fixture(scope="module")
def defaults() -> Settings:
    return load_settings({})


def _line(result: Any, starts: str, part: str | None = None) -> Any:
    [line] = [line for line in result.lines if line.item.startswith(starts) and part in (None, line.part)]
    return line


def test_transitions_follow_the_success_path_of_each_map_mode() -> None:
    inline = count_transitions(MACHINE, "INLINE")
    # Resolve, Plan, Mode, Inline, Merge, Alert?, Done = 7 per run; Score = 1 per chunk.
    assert (inline.per_run, inline.per_chunk) == (7, 1)
    assert inline.path == ("Resolve", "Plan", "Mode", "Inline", "Merge", "Alert?", "Done")
    distributed = count_transitions(MACHINE, "DISTRIBUTED")
    assert (distributed.per_run, distributed.per_chunk) == (7, 2)  # Prepare + Score in each child
    assert distributed.total(10) == 27


def test_a_template_definition_with_references_is_read() -> None:
    # As cdk synth emits it: Fn::Join around an ARN reference inside a JSON string.
    head, tail = MACHINE.split('"Resource": "arn"', 1)
    joined = {"Fn::Join": ["", [head + '"Resource": "', {"Fn::GetAtt": ["Fn", "Arn"]}, '"' + tail]]}
    assert count_transitions(joined, "INLINE").per_run == 7


def test_serving_lines_match_the_hand_worked_figures(defaults: Settings) -> None:
    result = estimate(defaults, Load(rps=100, batch_rows=0), MACHINE)
    # 100 req/s x 2,628,000 s = 262,800,000 requests; x $0.20 per million = $52.56.
    assert _line(result, "Lambda requests").usd == pytest.approx(52.56, rel=1e-9)
    # 262.8M x 0.010 s billed x 2 GB (2048 MB) = 5,256,000 GB-s; x $0.0000166667 = $87.6001752.
    duration = _line(result, "Lambda duration")
    assert duration.quantity == pytest.approx(5_256_000) and duration.usd == pytest.approx(87.6001752, rel=1e-9)
    # SnapStart cache: 2 GB x 2,628,000 s = 5,256,000 GB-s x $0.0000015046 = $7.90818.
    assert _line(result, "SnapStart cache").usd == pytest.approx(7.9081776, rel=1e-9)
    # 1 environment (100 x 0.010 s), renewed every 2 h: 365 restores x 2 GB = 730 GB x $0.0001397998 = $0.10205.
    assert _line(result, "SnapStart restores").usd == pytest.approx(0.102053854, rel=1e-9)
    # HTTP API: 262.8M requests, all in the first 300M tier at $1.00 per million = $262.80.
    assert _line(result, "API Gateway").usd == pytest.approx(262.80, rel=1e-9)
    # Capture: 10% of 262.8M = 26.28M lines; one environment gets 10 lines/s, 300 per 30 s window (< 500),
    # so it uploads every 30 s: 2,628,000 / 30 = 87,600 PUTs x $0.005 per 1,000 = $0.438.
    puts = _line(result, "S3 PUTs, inference capture")
    assert puts.quantity == pytest.approx(87_600) and puts.usd == pytest.approx(0.438, rel=1e-9)
    # 26.28M x 600 bytes = 15.768e9 B = 14.68514 GiB x $0.023 = $0.337758.
    assert _line(result, "S3 storage, a month of capture").usd == pytest.approx(15.768e9 / 2**30 * 0.023, rel=1e-9)
    assert _line(result, "S3 storage, a month of capture").usd == pytest.approx(0.337758, rel=1e-5)
    # Record reads: 1 environment x 2,628,000 s / 10 s TTL = 262,800 GetItems x 0.5 unit x $0.125 per million = $0.0164250.
    assert _line(result, "DynamoDB reads").usd == pytest.approx(0.016425, rel=1e-9)
    # Logs: 262.8M x (900 + 400) bytes = 341.64e9 B = 318.1770 GiB x $0.50 = $159.0885.
    assert _line(result, "CloudWatch Logs ingestion").usd == pytest.approx(159.0885, rel=1e-5)
    # Metrics: 6 serving metrics x 2 dimension sets + 6 batch metrics = 18 x $0.30 = $5.40.
    assert _line(result, "CloudWatch custom metrics").usd == pytest.approx(5.40, rel=1e-9)
    # Per million predictions: the month's serving + monitoring over 262.8 million.
    assert result.per_million_predictions == pytest.approx(result.serving_monthly / 262.8, rel=1e-9)
    assert result.per_batch_day == 0 and result.chunks == 0


def test_the_http_api_second_tier_starts_after_300_million(defaults: Settings) -> None:
    result = estimate(defaults, Load(rps=5000, batch_rows=0), MACHINE)
    # 5000 x 2,628,000 = 13.14e9 requests: 300M x $1.00/M + 12.84e9 x $0.90/M = $300 + $11,556 = $11,856.
    assert _line(result, "API Gateway").usd == pytest.approx(11_856.0, rel=1e-9)


def test_batch_lines_match_the_hand_worked_figures(defaults: Settings) -> None:
    result = estimate(defaults, Load(rps=0, batch_rows=1_000_000), MACHINE)
    # 1,000,000 rows / 200,000 per chunk = 5 chunks, under the threshold of 40: inline Map.
    assert (result.chunks, result.map_mode) == (5, "INLINE")
    # 7 per run + 5 chunks x 1 = 12 transitions x $0.025 per 1,000 = $0.0003.
    assert _line(result, "Step Functions").quantity == 12 and _line(result, "Step Functions").usd == pytest.approx(0.0003, rel=1e-9)
    # A chunk: 200,000 rows / 200,000 rows/s + 3 s overhead = 4 s; plus 3 other functions x 3 s:
    # (5 x 4 + 9) s x 2.9375 GB (3008 MB) = 85.1875 GB-s x $0.0000166667 = $0.00141979.
    assert _line(result, "Lambda duration", "batch").usd == pytest.approx(85.1875 * 0.0000166667, rel=1e-9)
    # 8 invocations x $0.20 per million; 20 GETs x $0.0004 per 1,000; 15 PUTs x $0.005 per 1,000.
    assert _line(result, "Lambda requests", "batch").usd == pytest.approx(0.0000016, rel=1e-9)
    assert _line(result, "S3 GETs").usd == pytest.approx(0.000008, rel=1e-9)
    assert _line(result, "S3 PUTs", "batch").usd == pytest.approx(0.000075, rel=1e-9)
    # 1e6 rows x 40 bytes = 4e7 B = 0.0372529 GiB x $0.023 = $0.000856817.
    assert _line(result, "S3 storage of the run's scores").usd == pytest.approx(0.000856817, rel=1e-5)
    total = 0.0003 + 85.1875 * 0.0000166667 + 0.0000016 + 0.000008 + 0.000075 + 4e7 / 2**30 * 0.023
    assert result.per_batch_day == pytest.approx(total, rel=1e-9)
    assert result.batch_monthly == pytest.approx(total * 730 / 24, rel=1e-9)


def test_a_billion_rows_go_distributed_and_the_stage_throttle_binds_first(defaults: Settings) -> None:
    result = estimate(defaults, Load(rps=5000, batch_rows=1_000_000_000), MACHINE)
    assert (result.chunks, result.map_mode) == (5000, "DISTRIBUTED")
    assert _line(result, "Step Functions").quantity == 7 + 5000 * 2
    # The stage allows 100 requests/s (serving.throttle_rate_limit): 5000 is fifty times that.
    assert result.binding.name == "API Gateway stage throttle (rate)" and result.binding.utilization == pytest.approx(50.0)
    # With the throttle raised, Lambda's invocation rate (10 x 1,000 concurrency) and the account's API rate share 50%.
    raised = load_settings({"serving": {"throttle_rate_limit": 20_000, "throttle_burst_limit": 20_000}})
    assert estimate(raised, Load(rps=5000, batch_rows=0), MACHINE).binding.utilization == pytest.approx(0.5)


def test_sagemaker_comparison_is_worked_by_hand(defaults: Settings) -> None:
    sm = estimate(defaults, Load(rps=5000, batch_rows=0), MACHINE).sagemaker
    # ceil(5000 / 1500) = 4 ml.c5.large x 730 h x $0.102 = $297.84.
    assert sm["realtime"]["instances"] == 4 and sm["realtime"]["monthly_usd"] == pytest.approx(297.84, rel=1e-9)
    # Serverless: 13.14e9 x 0.010 s x 2 GB x $0.00002 = $5,256; data 13.14e9 x 2 x 2048 B / 2^30 GiB x $0.016 = $802.0020.
    assert sm["serverless"]["monthly_usd"] == pytest.approx(5256 + 13.14e9 * 4096 / 2**30 * 0.016, rel=1e-9)


def test_a_price_from_settings_changes_the_figure_and_its_source() -> None:
    custom = load_settings({"estimate": {"prices": {"lambda_request": 0.40 / 1e6}}})
    result = estimate(custom, Load(rps=100, batch_rows=0), MACHINE)
    assert _line(result, "Lambda requests").usd == pytest.approx(105.12, rel=1e-9)  # twice $52.56
    assert result.prices["prices"]["lambda_request"]["source"].startswith("set by you")
    assert result.prices["prices"]["lambda_request"]["unit"] == "USD per request"


def test_every_price_and_quota_has_a_source_and_a_date(defaults: Settings) -> None:
    table = estimate_settings(defaults).model_dump()
    for group in ("prices", "quotas", "assumptions"):
        for key, entry in table[group].items():
            assert entry["source"] and entry["unit"] and len(entry["as_of"]) == 7, (group, key)
    for key, entry in table["prices"].items():
        assert entry["source"].startswith("https://aws.amazon.com/"), key


@hsettings(max_examples=40, deadline=None)
@given(st.floats(0.0, 20_000.0), st.floats(0.0, 20_000.0))
def test_cost_never_falls_as_requests_grow(a: float, b: float) -> None:
    low, high = sorted((a, b))
    s = DEFAULTS
    assert estimate(s, Load(rps=low, batch_rows=0), MACHINE).serving_monthly <= estimate(s, Load(rps=high, batch_rows=0), MACHINE).serving_monthly + 1e-9


@hsettings(max_examples=40, deadline=None)
@given(st.floats(0.001, 10_000.0), st.integers(2, 10), st.integers(1, 200))
def test_linear_parts_scale_linearly(rps: float, k: int, chunks: int) -> None:
    s = DEFAULTS
    one, many = estimate(s, Load(rps=rps, batch_rows=0), MACHINE), estimate(s, Load(rps=rps * k, batch_rows=0), MACHINE)
    for item in ("Lambda requests", "Lambda duration", "CloudWatch Logs ingestion", "S3 storage, a month of capture"):
        assert _line(many, item).usd == pytest.approx(k * _line(one, item).usd, rel=1e-9)
    rows = chunks * s.batch.chunk_rows
    small, big = estimate(s, Load(rps=0, batch_rows=rows), MACHINE), estimate(s, Load(rps=0, batch_rows=rows * k), MACHINE)
    if small.map_mode == big.map_mode:  # within one map mode, transitions are per_run + per_chunk x chunks
        per_chunk = small.transitions.per_chunk
        assert _line(big, "Step Functions").quantity - _line(small, "Step Functions").quantity == per_chunk * chunks * (k - 1)
    for item in ("S3 GETs", "S3 PUTs", "S3 storage of the run's scores"):
        assert _line(big, item, "batch").usd == pytest.approx(k * _line(small, item, "batch").usd, rel=1e-9)


def test_a_negative_load_is_refused_in_one_line() -> None:
    from lightship.errors import LightshipError

    with pytest.raises(LightshipError, match="--rps and --batch-rows must be 0 or more"):
        Load(rps=-1, batch_rows=0)


def test_a_bad_price_override_names_the_entry() -> None:
    from lightship.settings import SettingsError

    with pytest.raises(SettingsError, match="estimate.prices.lambda_requets"):
        estimate(load_settings({"estimate": {"prices": {"lambda_requets": 1e-7}}}), Load(rps=1, batch_rows=0), MACHINE)


@pytest.mark.parametrize("group, known", [("prices", "s3_get"), ("quotas", "sfn_payload_bytes"), ("assumptions", "request_ms")])
def test_an_unknown_name_in_any_table_is_refused_and_named(group: str, known: str) -> None:
    """Every table fills its fields from its defaults in one validator; a name it does not hold is still
    refused (extra="forbid"), not silently kept or dropped."""
    from lightship.settings import SettingsError

    typo = known + "_typo"
    with pytest.raises(SettingsError, match=rf"estimate\.{group}\.{typo}: Extra inputs are not permitted"):
        estimate_settings(load_settings({"estimate": {group: {typo: 1}}}))
    # The same table with the right name takes the override and keeps the entry's unit.
    table = getattr(estimate_settings(load_settings({"estimate": {group: {known: 7}}})), group)
    assert getattr(table, known).value == 7.0 and getattr(table, known).unit


def test_a_price_override_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTSHIP_ESTIMATE__PRICES__LAMBDA_REQUEST", "4e-7")
    result = estimate(load_settings({}), Load(rps=100, batch_rows=0), MACHINE)
    assert _line(result, "Lambda requests").usd == pytest.approx(105.12, rel=1e-9)
