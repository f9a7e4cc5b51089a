"""Drift statistics from binned counts agree with scipy on the same data, and verdicts follow
effect-size thresholds: identical data never flags, a real shift does."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lightship.bundle.model_bundle import ModelBundle
from lightship.bundle.profile import NumericProfile
from lightship.datasets import customers
from lightship.drift.drift import chi_squared, compare, ks_statistic, psi, shares
from lightship.drift.report import drift_report
from lightship.drift.sketch import Counts, DriftSketch, sketch_frame


def _counts(profile: NumericProfile, values: np.ndarray) -> Counts:
    bins, missing = profile.count(values)
    return Counts(bins.tolist(), missing)


def test_psi_equals_the_symmetric_kl_divergence_computed_by_scipy() -> None:
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(0, 1, 50_000), rng.normal(0.3, 1.2, 80_000)
    profile = NumericProfile.fit(ref, 10)
    r, c = _counts(profile, ref), _counts(profile, cur)
    p, q = shares(r)[:-1], shares(c)[:-1]  # no missing values here: the missing bin is empty
    assert psi(r, c) == pytest.approx(stats.entropy(q, p) + stats.entropy(p, q), rel=1e-9)


def test_ks_statistic_equals_scipys_when_every_value_is_a_bin_edge() -> None:
    rng = np.random.default_rng(1)
    ref = rng.integers(0, 30, 20_000).astype(float)
    cur = rng.binomial(29, 0.55, 30_000).astype(float)
    profile = NumericProfile(edges=[float(v) for v in range(30)], counts=[])
    expected = stats.ks_2samp(ref, cur).statistic
    assert ks_statistic(_counts(profile, ref), _counts(profile, cur)) == pytest.approx(expected, abs=1e-12)


def test_ks_statistic_on_quantile_bins_is_within_one_bin_of_scipys() -> None:
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(0, 1, 40_000), rng.normal(0.25, 1, 60_000)
    profile = NumericProfile.fit(ref, 20)
    binned = ks_statistic(_counts(profile, ref), _counts(profile, cur))
    exact = stats.ks_2samp(ref, cur).statistic
    assert binned <= exact + 1e-12
    assert exact - binned < 0.05  # at most about one bin's mass (1/20)


def test_chi_squared_matches_scipys_contingency_test() -> None:
    ref, cur = Counts([500, 300, 200, 7], 12), Counts([420, 330, 260, 0], 30)
    statistic, p_value, v = chi_squared(ref, cur)
    table = np.array([[500, 300, 200, 7, 12], [420, 330, 260, 0, 30]])
    expected = stats.chi2_contingency(table, correction=False)
    assert statistic == pytest.approx(expected.statistic)
    assert p_value == pytest.approx(expected.pvalue)
    assert v == pytest.approx(np.sqrt(expected.statistic / table.sum()))


def test_identical_distributions_never_flag_even_with_tiny_thresholds() -> None:
    counts = Counts([10, 0, 5, 1_000_000], 3)
    result = compare("x", "numeric", counts, Counts(list(counts.bins), counts.missing), ["a", "b", "c", "d"], 1e-9, 1e-9)
    assert result.psi == 0.0 and result.ks == 0.0
    assert not result.drifted
    # Same shares at another scale: still identical distributions.
    scaled = Counts([b * 3 for b in counts.bins], counts.missing * 3)
    assert not compare("x", "numeric", counts, scaled, ["a", "b", "c", "d"], 1e-9, 1e-9).drifted


def test_the_baseline_against_itself_is_clean_and_a_shifted_batch_is_flagged(bundle: ModelBundle) -> None:
    limits = lambda name: (0.2, 0.1)
    # The baseline profile's own counts as the "current" batch.
    itself = DriftSketch(
        rows=bundle.profile.rows,
        features={n: Counts(list(p.counts), p.missing) for n, p in bundle.profile.features.items()},
        prediction=Counts(list(bundle.profile.prediction.counts), bundle.profile.prediction.missing),
    )
    clean = drift_report("t", bundle.profile, itself, limits)
    assert clean.drifted == [] and not clean.alert and clean.max_psi == 0.0

    shifted = drift_report("t", bundle.profile, sketch_frame(bundle.profile, customers(rows=5000, seed=5, shift=1.0), None), limits)
    assert {"tenure_months", "monthly_spend", "support_calls", "plan"} <= set(shifted.drifted)
    assert "age" not in shifted.drifted and "region" not in shifted.drifted  # not moved by the shift


def test_per_feature_thresholds_override_the_defaults(bundle: ModelBundle) -> None:
    current = sketch_frame(bundle.profile, customers(rows=5000, seed=5, shift=1.0), None)
    loose = {"monthly_spend": (100.0, 1.0)}
    report = drift_report("t", bundle.profile, current, lambda n: loose.get(n, (0.2, 0.1)))
    assert "monthly_spend" not in report.drifted
    assert "tenure_months" in report.drifted


def test_a_surge_of_missing_values_is_drift() -> None:
    ref = Counts([250, 250, 250, 250], 0)
    cur = Counts([125, 125, 125, 125], 500)
    result = compare("x", "numeric", ref, cur, ["a", "b", "c", "d"], 0.2, 0.1)
    assert result.ks == 0.0  # the present values did not move
    assert result.psi > 0.2 and result.drifted
    assert result.current_missing == pytest.approx(0.5)


def test_ks_is_zero_when_one_side_has_no_present_values() -> None:
    assert ks_statistic(Counts([0, 0], 5), Counts([1, 2], 0)) == 0.0
