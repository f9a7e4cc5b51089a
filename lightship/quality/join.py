"""The join of labels to predictions: one label and one prediction per id, deterministically.

A prediction id seen more than once in the window (a retried batch day, capture and batch for
the same user id) keeps its first occurrence by (date, source, order read); an id labelled in
more than one landed file keeps the label of the earliest (label date, key). So rerunning the
join over the same objects gives the same rows (tests/unit/quality/test_job.py checks the report).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ID = "prediction_id"


@dataclass
class Joined:
    labeled: pd.DataFrame  # predictions with their label
    unlabeled: pd.DataFrame  # predictions without one yet (CBPE estimates these)
    duplicate_predictions: int
    duplicate_labels: int
    unmatched_labels: int  # labels whose id matches no prediction of the window


def join(predictions: pd.DataFrame, labels: pd.DataFrame) -> Joined:
    ordered = predictions.reset_index(drop=True)
    ordered = ordered.iloc[ordered.sort_values(["date", "source"], kind="stable").index]
    unique = ordered.drop_duplicates(ID, keep="first")
    first_labels = labels.sort_values(["label_date", "labels_key"], kind="stable").drop_duplicates(ID, keep="first")
    # One-to-one by construction (both sides deduplicated just above); pandas' validate= would hash the ids again.
    merged = unique.merge(first_labels[[ID, "label", "label_date"]], on=ID, how="left")
    has = merged["label"].notna()
    return Joined(
        labeled=merged[has].reset_index(drop=True),
        unlabeled=merged[~has].reset_index(drop=True),
        duplicate_predictions=len(ordered) - len(unique),
        duplicate_labels=len(labels) - len(first_labels),
        # Both sides are unique by id, so every label matched at most one prediction.
        # (Not ``isin``: on Arrow-backed strings pandas runs it as a Python loop, 2/3 of a 200k-row join.)
        unmatched_labels=len(first_labels) - int(has.sum()),
    )
