"""The window's labeled rows with their inputs: what a retraining run adds to the parent's data.

The quality job's join (:func:`lightship.quality.join.join`: first prediction per id, earliest
label per id) over predictions that keep their inputs: a capture line's ``features``, a batch
score row's input columns. Ids are the quality job's (``prediction_id``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lightship.quality import labels as labels_mod
from lightship.quality import predictions
from lightship.quality.join import join
from lightship.quality.predictions import ID


def read_inputs(s3: Any, bucket: str, *, capture_prefix: str, batch_prefix: str, dates: list[str], id_column: str | None,
                features: list[str]) -> pd.DataFrame:
    """Every prediction of ``dates`` with its inputs: ``prediction_id``, ``source``, ``date`` and ``features``,
    found and identified as the quality job finds and identifies them (:mod:`lightship.quality.predictions`)."""
    frames: list[pd.DataFrame] = []
    for parts, lines in predictions.capture_files(s3, bucket, capture_prefix, dates):
        frame = pd.DataFrame([r.get("features", {}) for r in lines]).reindex(columns=features)
        frame.insert(0, ID, predictions.capture_ids(lines))
        frame["source"], frame["date"] = "capture", parts["date"]
        frames.append(frame)
    for date, scores in predictions.batch_files(s3, bucket, batch_prefix, dates):
        frame = scores.reindex(columns=features)
        frame.insert(0, ID, predictions.batch_ids(scores, id_column))
        frame["source"], frame["date"] = "batch", date
        frames.append(frame)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in [ID, *features, "source", "date"]})
    out = pd.concat(frames, ignore_index=True)
    out[ID] = out[ID].astype(str)
    return out


def labeled_rows(s3: Any, bucket: str, *, capture_prefix: str, batch_prefix: str, labels_prefix: str, dates: list[str],
                 id_column: str | None, features: list[str]) -> pd.DataFrame:
    """``id``, the features and ``label`` of every prediction of the window that has a label."""
    inputs = read_inputs(s3, bucket, capture_prefix=capture_prefix, batch_prefix=batch_prefix, dates=dates,
                         id_column=id_column, features=features)
    landed = labels_mod.landed_labels(s3, bucket, labels_prefix, dates)
    joined = join(inputs, landed).labeled
    return joined.rename(columns={ID: "id"})[["id", *features, "label"]].reset_index(drop=True)
