"""The join's counts: duplicates on either side and labels that match no prediction of the window."""

from __future__ import annotations

import pandas as pd

from lightship.quality.join import join


def test_labels_without_a_prediction_are_counted_once_and_duplicates_on_both_sides_are_dropped() -> None:
    predictions = pd.DataFrame({"prediction_id": pd.array(["a", "b", "c", "a"], dtype="string[pyarrow]"),
                                "model_version": 1, "source": "batch", "date": ["d1", "d1", "d1", "d2"], "prediction": "1"})
    labels = pd.DataFrame({"prediction_id": pd.array(["a", "x", "y", "x", "b"], dtype="string[pyarrow]"),
                           "label": ["1", "0", "1", "1", "0"], "label_date": ["d1", "d1", "d1", "d2", "d1"], "labels_key": "k"})
    joined = join(predictions, labels)
    assert sorted(joined.labeled["prediction_id"]) == ["a", "b"] and list(joined.unlabeled["prediction_id"]) == ["c"]
    assert (joined.duplicate_predictions, joined.duplicate_labels, joined.unmatched_labels) == (1, 1, 2)  # x (twice) and y
