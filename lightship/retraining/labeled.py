"""The window's labeled rows with their inputs: what a retraining run adds to the parent's data.

The quality job's join (:func:`lightship.quality.join.join`: first prediction per id, earliest
label per id) over predictions that keep their inputs: a capture line's ``features``, a batch
score row's input columns. Ids are the quality job's (``prediction_id``).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from lightship.quality import labels as labels_mod
from lightship.quality import store
from lightship.quality.join import join

ID = "prediction_id"


def read_inputs(s3: Any, bucket: str, *, capture_prefix: str, batch_prefix: str, dates: list[str], id_column: str | None,
                features: list[str]) -> pd.DataFrame:
    """Every prediction of ``dates`` with its inputs: ``prediction_id``, ``source``, ``date`` and ``features``."""
    frames: list[pd.DataFrame] = []
    wanted = set(dates)
    for key in store.keys(s3, bucket, capture_prefix.strip("/") + "/"):
        parts = dict(p.split("=", 1) for p in key.split("/") if "=" in p)
        if parts.get("date") not in wanted:
            continue
        lines = [json.loads(line) for line in store.get(s3, bucket, key).decode().splitlines() if line.strip()]
        if lines:
            frame = pd.DataFrame([r.get("features", {}) for r in lines]).reindex(columns=features)
            frame.insert(0, ID, [r.get(ID) or f"{r['request_id']}:{i}" for i, r in enumerate(lines)])
            frame["source"], frame["date"] = "capture", parts["date"]
            frames.append(frame)
    for date in dates:
        for key in store.keys(s3, bucket, f"{batch_prefix.strip('/')}/date={date}/"):
            if not key.endswith(".parquet"):
                continue
            scores = store.read_parquet(store.get(s3, bucket, key))
            if id_column and id_column in scores.columns:
                ids = scores[id_column].astype("string")
            else:
                ids = scores["source_uri"].astype("string") + ":" + scores["source_row"].astype("string")
            frame = scores.reindex(columns=features)
            frame.insert(0, ID, ids.to_numpy(dtype=object))
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
