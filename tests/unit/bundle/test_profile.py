"""Baseline profiles: fixed bins, counts that add up, and a JSON round trip."""

import numpy as np

from lightship.bundle.profile import OTHER, BaselineProfile, CategoricalProfile, NumericProfile


def test_numeric_profile_counts_every_value_once_and_missing_apart() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 5.0, np.inf])
    profile = NumericProfile.fit(values, bins=4)
    assert sum(profile.counts) == 5  # finite values
    assert profile.missing == 2  # NaN and inf
    assert len(profile.counts) == len(profile.edges) + 1


def test_numeric_bins_are_closed_on_the_right_edge() -> None:
    profile = NumericProfile(edges=[1.0, 2.0], counts=[0, 0, 0])
    counts, _ = profile.count(np.array([0.5, 1.0, 1.5, 2.0, 9.0]))
    assert counts.tolist() == [2, 2, 1]  # (-inf,1] (1,2] (2,inf)


def test_counts_on_fixed_bins_add_up_across_chunks() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=1000)
    profile = NumericProfile.fit(reference, bins=10)
    current = rng.normal(0.3, 1.2, size=999)
    whole, _ = profile.count(current)
    parts = sum(profile.count(chunk)[0] for chunk in np.array_split(current, 7))
    np.testing.assert_array_equal(whole, parts)


def test_categorical_profile_puts_unseen_values_in_other_and_none_in_missing() -> None:
    profile = CategoricalProfile.fit(np.array(["a", "b", "a", None, "c"], dtype=object))
    assert profile.categories == ["a", "b", "c"]
    assert profile.counts == [2, 1, 1, 0] and profile.missing == 1
    counts, missing = profile.count(np.array(["a", "zzz", "", np.nan, "c"], dtype=object))
    assert dict(zip(profile.labels, counts.tolist(), strict=True)) == {"a": 1, "b": 0, "c": 1, OTHER: 1}
    assert missing == 2


def test_all_missing_column_profiles_without_edges() -> None:
    profile = NumericProfile.fit(np.array([np.nan, np.nan]), bins=5)
    assert profile.edges == [] and profile.counts == [0] and profile.missing == 2


def test_profile_survives_json_round_trip() -> None:
    profile = BaselineProfile(
        rows=3,
        features={"x": NumericProfile(edges=[0.5], counts=[1, 2], missing=0), "c": CategoricalProfile(categories=["a"], counts=[2, 1], missing=0)},
        prediction=NumericProfile(edges=[0.5], counts=[2, 1]),
    )
    again = BaselineProfile.from_dict(profile.to_dict())
    assert again.to_dict() == profile.to_dict()
