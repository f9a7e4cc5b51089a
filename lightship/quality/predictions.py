"""Every prediction of a window, from inference capture and batch scores, in one frame keyed by prediction id.

Columns: ``prediction_id`` (text), ``model_version``, ``source`` (``capture`` | ``batch``), ``date``,
``prediction`` (text for classifiers), and ``probability_<class>`` (classifiers) or the numeric
``prediction`` (regression).

* Capture (``capture/model_version=N/date=D/*.jsonl``): ``prediction_id`` as serving echoed it (the
  instance's ``serving.id_field`` or ``<request id>:<index>``; older lines without one get the latter).
* Batch scores (``batch/output/date=D/*.parquet``): the ``batch.id_column`` value when set, else
  ``<source_uri>:<source_row>`` (the row identity of docs/batch.md).

Capture samples ``serving.capture_sample_rate`` of requests: only captured predictions can be joined,
so quality monitoring wants 1.0 (docs/quality.md gives the cost). Called by :mod:`.job` and :mod:`.labels`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from lightship.quality import store

ID = "prediction_id"
BASE_COLUMNS = [ID, "model_version", "source", "date", "prediction"]


def capture_files(s3: Any, bucket: str, prefix: str, dates: list[str]) -> Iterator[tuple[dict[str, str], list[dict[str, Any]]]]:
    """Each capture file of ``dates``: its key's ``name=value`` parts (``model_version``, ``date``) and its lines."""
    wanted = set(dates)
    for key in store.keys(s3, bucket, prefix.strip("/") + "/"):
        parts = dict(p.split("=", 1) for p in key.split("/") if "=" in p)
        if parts.get("date") not in wanted:
            continue
        lines = [json.loads(line) for line in store.get(s3, bucket, key).decode().splitlines() if line.strip()]
        if lines:
            yield parts, lines


def capture_ids(lines: list[dict[str, Any]]) -> list[str]:
    """A capture line's prediction id: as serving echoed it, or ``<request id>:<index>`` for a line without one."""
    return [r.get(ID) or f"{r['request_id']}:{i}" for i, r in enumerate(lines)]


def batch_files(s3: Any, bucket: str, prefix: str, dates: list[str]) -> Iterator[tuple[str, pd.DataFrame]]:
    """Each batch scores file of ``dates``, with its date."""
    for date in dates:
        for key in store.keys(s3, bucket, f"{prefix.strip('/')}/date={date}/"):
            if key.endswith(".parquet"):
                yield date, store.read_parquet(store.get(s3, bucket, key))


def batch_ids(scores: pd.DataFrame, id_column: str | None) -> np.ndarray:
    """A batch score row's prediction id: its ``batch.id_column`` value, else ``<source_uri>:<source_row>``."""
    if id_column and id_column in scores.columns:
        ids = scores[id_column].astype("string")
    else:
        ids = scores["source_uri"].astype("string") + ":" + scores["source_row"].astype("string")
    return ids.to_numpy(dtype=object)


def read_capture(s3: Any, bucket: str, prefix: str, dates: list[str], classes_for: Callable[[int], list[str]]) -> pd.DataFrame:
    frames = []
    for parts, lines in capture_files(s3, bucket, prefix, dates):
        if "model_version" not in parts:
            continue
        version = int(parts["model_version"])
        frame = pd.DataFrame({
            ID: capture_ids(lines), "model_version": version, "source": "capture", "date": parts["date"],
            "prediction": [r["prediction"] for r in lines],
        })
        probabilities = [r.get("probabilities") for r in lines]
        if probabilities and probabilities[0] is not None:
            matrix = np.asarray(probabilities, dtype=float)
            for j, name in enumerate(classes_for(version)):
                frame[f"probability_{name}"] = matrix[:, j]
        frames.append(frame)
    return _concat(frames)


def read_batch(s3: Any, bucket: str, prefix: str, dates: list[str], id_column: str | None) -> pd.DataFrame:
    frames = []
    for date, scores in batch_files(s3, bucket, prefix, dates):
        frame = pd.DataFrame({ID: batch_ids(scores, id_column), "model_version": scores["model_version"].astype(int).to_numpy(),
                              "source": "batch", "date": date, "prediction": scores["prediction"].to_numpy()})
        for column in scores.columns:
            if column.startswith("probability_"):
                frame[column] = scores[column].to_numpy(dtype=float)
        frames.append(frame)
    return _concat(frames)


def read_window(s3: Any, bucket: str, *, capture_prefix: str, batch_prefix: str, dates: list[str],
                id_column: str | None, classes_for: Callable[[int], list[str]]) -> pd.DataFrame:
    frame = _concat([read_capture(s3, bucket, capture_prefix, dates, classes_for),
                     read_batch(s3, bucket, batch_prefix, dates, id_column)])
    frame[ID] = frame[ID].astype(str)
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in BASE_COLUMNS})
    return pd.concat(frames, ignore_index=True)
