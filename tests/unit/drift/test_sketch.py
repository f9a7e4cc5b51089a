"""The drift sketch is exact and mergeable: merging chunk sketches equals sketching the whole."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from batch.score import score_frame
from lightship.bundle.model_bundle import ModelBundle
from lightship.datasets import customers
from lightship.drift.sketch import Counts, DriftSketch, count_values, merge, sketch_frame


def test_merging_chunk_sketches_equals_the_sketch_of_the_whole_batch(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    whole = score_frame(batch_frame, bundle, 1, "run").sketch
    cuts = [0, 7, 1000, 1001, 2500, len(batch_frame)]
    parts = [
        score_frame(batch_frame.iloc[a:b].reset_index(drop=True), bundle, 1, "run").sketch
        for a, b in itertools.pairwise(cuts)
    ]
    merged = merge(parts)
    assert merged.to_dict() == whole.to_dict()
    assert merged.rows == len(batch_frame)
    # Every feature's counts account for every scored row (binned or missing).
    for name, counts in merged.features.items():
        assert counts.total == merged.rows, name
    assert merged.prediction is not None and merged.prediction.total == merged.rows


def test_sketch_uses_the_profiles_own_binning(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    sketch = sketch_frame(bundle.profile, batch_frame, None)
    for name, profile in bundle.profile.features.items():
        column = batch_frame[name]
        values = pd.to_numeric(column).to_numpy(dtype=float) if profile.kind == "numeric" else column.to_numpy(dtype=object)
        counts, missing = profile.count(values)
        assert sketch.features[name].bins == counts.tolist(), name
        assert sketch.features[name].missing == missing, name


def test_categorical_values_unseen_in_training_land_in_other(bundle: ModelBundle) -> None:
    plan = bundle.profile.features["plan"]
    counts = count_values(plan, np.array(["basic", "enterprise", None, "enterprise", ""], dtype=object))
    labels = plan.labels
    assert counts.bins[labels.index("__other__")] == 2
    assert counts.bins[labels.index("basic")] == 1
    assert counts.missing == 2


def test_sketch_survives_json_and_refuses_to_merge_different_bins() -> None:
    sketch = DriftSketch(rows=3, features={"a": Counts([1, 2], 0)}, prediction=Counts([3], 0))
    assert DriftSketch.from_dict(sketch.to_dict()) == sketch
    with pytest.raises(ValueError, match="bins"):
        merge([sketch, DriftSketch(rows=1, features={"a": Counts([1], 0)}, prediction=Counts([1], 0))])


def test_shifted_data_moves_the_counts(bundle: ModelBundle) -> None:
    normal = sketch_frame(bundle.profile, customers(rows=3000, seed=3), None)
    shifted = sketch_frame(bundle.profile, customers(rows=3000, seed=3, shift=1.0), None)
    assert normal.features["monthly_spend"].bins != shifted.features["monthly_spend"].bins


def test_numeric_binning_puts_values_on_an_edge_in_the_lower_bin_and_counts_non_finite_as_missing() -> None:
    from lightship.bundle.profile import NumericProfile

    profile = NumericProfile(edges=[0.0, 1.0, 2.0], counts=[])
    values = np.array([-5.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0000001, 9.0, np.nan, np.inf, -np.inf])
    counts, missing = profile.count(values)
    # (-inf, 0], (0, 1], (1, 2], (2, inf)
    assert counts.tolist() == [3, 2, 2, 2] and missing == 3
    rng = np.random.default_rng(0)
    many = np.round(rng.normal(1, 1, 100_000), 1)  # lots of ties on the edges
    expected = np.bincount(np.searchsorted(np.array(profile.edges), many, side="left"), minlength=4)
    assert profile.count(many)[0].tolist() == expected.tolist()
