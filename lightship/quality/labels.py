"""Ground truth: validate a labels file and land it in S3 (``lightship labels put FILE``).

A labels file is CSV or Parquet with an id column (``quality.id_column``, ``id``) holding the
prediction id serving echoed (or the batch row's id) and a label column (``quality.label_column``,
``label``). Every row ends up in exactly one of two objects, nothing is lost:

* accepted: ``labels/date=D/<stem>-<sha>.parquet`` with ``prediction_id``, ``label``, ``label_date``;
* rejected: ``labels/rejects/date=D/<stem>-<sha>.parquet``, the row as read plus ``reject_reason``:
  ``missing id``, ``missing label``, ``unparsable label`` (regression: not a number),
  ``label not a trained class``, ``duplicate id (an earlier row of this file has it)``,
  ``duplicate id (already labelled in <key>)``, ``unknown id (no prediction in the last N days)``.

Users' own pipelines may write ``labels/date=D/*.parquet`` directly with the accepted columns
(docs/quality.md); the join then takes, per id, the label of the earliest key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lightship.errors import LightshipError
from lightship.quality import store

ID = "prediction_id"
REJECT_REASON = "reject_reason"


class LabelsError(LightshipError):
    """The labels file cannot be used at all (unreadable, or without the id or label column)."""


@dataclass
class LabelsResult:
    rows: int
    accepted: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    labels_key: str | None = None
    rejects_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "accepted": self.accepted, "rejected": sum(self.rejected_by_reason.values()),
                "rejected_by_reason": self.rejected_by_reason, "labels_key": self.labels_key, "rejects_key": self.rejects_key}


def read_file(path: Path) -> pd.DataFrame:
    """Everything as text (``007`` stays ``007``); a file pandas cannot read is one line of error."""
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path).astype("string").astype(object)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as exc:
        raise LabelsError(f"{path}: not a readable CSV or Parquet file ({exc})") from exc


def validate(frame: pd.DataFrame, *, id_column: str, label_column: str, task: str, classes: list[str],
             known_ids: set[str] | None, landed: dict[str, str], window_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accepted: prediction_id + label, rejects: the rows as read + reject_reason); first failing reason wins."""
    for column in (id_column, label_column):
        if column not in frame.columns:
            raise LabelsError(f"the labels file has no {column!r} column (columns: {', '.join(map(str, frame.columns))})")
    ids = frame[id_column].astype("string").str.strip()
    raw = frame[label_column].astype("string").str.strip()
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")

    def mark(mask: Any, why: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index)
        reason[mask & reason.isna()] = why

    mark(ids.isna() | ids.eq("").fillna(True), "missing id")
    mark(raw.isna() | raw.eq("").fillna(True), "missing label")
    if task == "regression":
        mark(pd.to_numeric(raw, errors="coerce").isna(), "unparsable label (not a number)")
    else:
        mark(~raw.isin([str(c) for c in classes]).fillna(False), f"label not a trained class ({', '.join(map(str, classes))})")
    mark(ids.duplicated(keep="first") & ids.notna(), "duplicate id (an earlier row of this file has it)")
    if landed:
        earlier = ids.map(landed)
        for key in earlier.dropna().unique():
            mark(earlier.eq(key).fillna(False), f"duplicate id (already labelled in {key})")
    if known_ids is not None:
        mark(~ids.isin(known_ids).fillna(False), f"unknown id (no prediction in the last {window_days} days)")
    ok = reason.isna().to_numpy()
    label = pd.to_numeric(raw[ok]) if task == "regression" else raw[ok].astype(str)
    accepted = pd.DataFrame({ID: ids[ok].astype(str).to_numpy(), "label": np.asarray(label)})
    rejects = frame[~ok].astype("string").copy()
    rejects[REJECT_REASON] = reason[~ok].astype(str)
    return accepted, rejects


def landed_labels(s3: Any, bucket: str, prefix: str, dates: list[str], skip: set[str] = frozenset()) -> pd.DataFrame:  # type: ignore[assignment]
    """Every accepted label landed on ``dates``, in key order, with the key it came from."""
    frames = []
    for date in dates:
        for key in sorted(store.keys(s3, bucket, store.labels_dated(prefix, date))):
            if key in skip or not key.endswith(".parquet"):
                continue
            frame = store.read_parquet(store.get(s3, bucket, key))
            frame["label_date"] = date
            frame["labels_key"] = key
            frames.append(frame)
    if not frames:
        return pd.DataFrame({ID: pd.Series(dtype=object), "label": pd.Series(dtype=object),
                             "label_date": pd.Series(dtype=object), "labels_key": pd.Series(dtype=object)})
    labels = pd.concat(frames, ignore_index=True)
    labels[ID] = labels[ID].astype(str)
    return labels


def put_labels(path: Path, *, s3: Any, bucket: str, prefix: str, date: str, id_column: str, label_column: str,
               task: str, classes: list[str], known_ids: set[str] | None, window_days: int) -> LabelsResult:
    body = path.read_bytes()
    frame = read_file(path)
    name = f"{path.stem}-{hashlib.sha256(body).hexdigest()[:12]}.parquet"
    labels_key = store.labels_dated(prefix, date) + name
    rejects_key = store.label_rejects_dated(prefix, date) + name
    window = store.window_dates(date, window_days)
    existing = landed_labels(s3, bucket, prefix, window, skip={labels_key})
    landed = dict(zip(existing[ID], existing["labels_key"])) if len(existing) else {}
    accepted, rejects = validate(frame, id_column=id_column, label_column=label_column, task=task, classes=classes,
                                 known_ids=known_ids, landed=landed, window_days=window_days)
    result = LabelsResult(rows=len(frame), accepted=len(accepted),
                          rejected_by_reason={str(k): int(v) for k, v in rejects[REJECT_REASON].value_counts().sort_index().items()})
    if len(accepted):
        store.put(s3, bucket, labels_key, store.parquet_bytes(accepted), "application/vnd.apache.parquet")
        result.labels_key = labels_key
    if len(rejects):
        store.put(s3, bucket, rejects_key, store.parquet_bytes(rejects), "application/vnd.apache.parquet")
        result.rejects_key = rejects_key
    return result
