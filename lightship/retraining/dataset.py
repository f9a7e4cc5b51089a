"""The assembled training set of a retraining run: the parent's rows plus the window's labeled rows, by id.

Pure (frames in, frames and lineage out; tested without AWS). Every row has an id: a labeled
row its prediction id; a parent row the id its own dataset recorded (``ids.csv`` beside an
assembled dataset) or, for data a person trained on, ``<object key>:<row>``. A labeled row whose
id is already in the parent's rows is a duplicate and is dropped (the parent's row wins: it
is what the champion was trained on), so a run over the same labels twice adds nothing. The
written dataset holds features and target only (every column is a feature to the training
script); the ids go beside it, and the manifest records sources, counts and content hashes.

With ``holdout_fraction`` a share of the new labeled rows, chosen by a hash of the id (so the
same rows every time the same labels are assembled), is held out of training: the gate scores
the challenger and the champion on exactly those rows (:mod:`lightship.registry.same_rows`).
A held-out row is still a row the dataset has seen: its id goes to ``held_out_ids.csv`` beside
the dataset, with the ids its parent had held out, and a later run whose parent is this dataset
(``parent_held_out``) never counts it as new again, so the same labels twice add nothing.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ID = "id"
DATA_FILE = "data.csv"


@dataclass(frozen=True)
class Assembled:
    frame: pd.DataFrame  # features + target, in the parent's column order
    ids: pd.Series  # one per row of ``frame``, unique
    counts: dict[str, int]
    data_bytes: bytes = field(repr=False)
    sha256: str  # of what the training job reads: sha256(file name + bytes), as lightship.training.data.content_hash
    holdout: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # new labeled rows held out: features + target
    holdout_ids: pd.Series = field(default_factory=lambda: pd.Series(dtype=object), repr=False)
    # Every id seen but not trained on: this run's held-out rows and those its parent held out (held_out_ids.csv).
    held_out_ids: pd.Series = field(default_factory=lambda: pd.Series(dtype=object), repr=False)

    @property
    def version(self) -> str:
        return self.sha256[:16]


def held_out(ids: pd.Series, fraction: float) -> np.ndarray:
    """Which ids are held out of training: ``sha256(id)`` below ``fraction`` of its range (stable, about ``fraction`` of them)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"holdout fraction {fraction} is not in [0, 1)")
    bound = int(fraction * 2**32)
    return np.fromiter((int(hashlib.sha256(str(i).encode()).hexdigest()[:8], 16) < bound for i in ids), dtype=bool, count=len(ids))


def assemble(parent: pd.DataFrame, parent_ids: pd.Series, labeled: pd.DataFrame, target: str, holdout_fraction: float = 0.0,
             parent_held_out: pd.Series | None = None) -> Assembled:
    """``parent`` (features + target) with ``parent_ids``; ``labeled`` has ``id``, the features and ``label``.

    The new labeled rows whose id :func:`held_out` picks go to ``holdout``, not to the training data.
    ``parent_held_out``: the ids the parent's dataset held out of its training (its ``held_out_ids.csv``);
    a labeled row with one of them is not new (the parent saw it), and the ids stay held out."""
    if len(parent) != len(parent_ids):
        raise ValueError(f"{len(parent)} parent rows but {len(parent_ids)} ids")
    columns = list(parent.columns)
    if target not in columns:
        raise ValueError(f"the parent's data has no target column {target!r}")
    features = [c for c in columns if c != target]
    missing = [c for c in features if c not in labeled.columns]
    if missing:
        raise ValueError(f"labeled rows lack the parent's features: {', '.join(missing)}")
    base = parent.reset_index(drop=True)
    base_ids = parent_ids.astype(str).reset_index(drop=True)
    base_unique = ~base_ids.duplicated(keep="first")
    base, base_ids = base[base_unique].reset_index(drop=True), base_ids[base_unique].reset_index(drop=True)
    carried = (pd.Series(dtype=object) if parent_held_out is None else parent_held_out.astype(str)).drop_duplicates()
    carried = carried[~carried.isin(set(base_ids))].reset_index(drop=True)
    new = labeled.reset_index(drop=True)
    new_ids = new[ID].astype(str)
    new_unique = ~new_ids.duplicated(keep="first")
    seen = new_ids.isin(set(base_ids) | set(carried))
    fresh = new_unique & ~seen
    added = new[fresh].rename(columns={"label": target})[columns].reset_index(drop=True)
    added[target] = _like(added[target], base[target])
    added_ids = new_ids[fresh].reset_index(drop=True)
    out = held_out(added_ids, holdout_fraction)
    holdout, holdout_ids = added[out].reset_index(drop=True), added_ids[out].reset_index(drop=True)
    frame = pd.concat([base, added[~out]], ignore_index=True)
    ids = pd.concat([base_ids, added_ids[~out]], ignore_index=True)
    data = frame.to_csv(index=False).encode()
    digest = hashlib.sha256()
    digest.update(DATA_FILE.encode())
    digest.update(data)
    counts = {
        "parent_rows": len(parent),
        "parent_duplicates": int((~base_unique).sum()),
        "labeled_rows": len(labeled),
        "labeled_duplicates": int((~new_unique).sum()),
        "already_in_parent": int((new_unique & seen).sum()),  # in the parent's rows or held out by the parent
        "new_rows": int(fresh.sum()),
        "holdout_rows": int(out.sum()),  # new rows held out of training (the gate's same rows)
        "rows": len(frame),  # training rows: parent (unique) + new - holdout
    }
    return Assembled(frame=frame, ids=ids, counts=counts, data_bytes=data, sha256=digest.hexdigest(), holdout=holdout,
                     holdout_ids=holdout_ids, held_out_ids=pd.concat([carried, holdout_ids], ignore_index=True))


def holdout_csv(assembled: Assembled) -> bytes:
    """The held-out rows with their ids (``id`` first, then the features and the target)."""
    frame = assembled.holdout.copy()
    frame.insert(0, ID, assembled.holdout_ids.astype(str).to_numpy())
    return frame.to_csv(index=False).encode()


def read_holdout(body: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(body), dtype={ID: str})


def ids_csv(ids: pd.Series) -> bytes:
    return pd.DataFrame({ID: ids.astype(str)}).to_csv(index=False).encode()


def read_ids(body: bytes) -> pd.Series:
    return pd.read_csv(io.BytesIO(body), dtype={ID: str}, keep_default_na=False)[ID]


def default_ids(key: str, rows: int) -> pd.Series:
    """Ids of rows from a file a person trained on: the object's key and the row, as batch identifies rows."""
    return pd.Series([f"{key}:{i}" for i in range(rows)], dtype=object)


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def manifest(assembled: Assembled, *, sources: dict[str, Any], trigger: dict[str, Any], parent_version: int) -> dict[str, Any]:
    return {"version": assembled.version, "sha256": assembled.sha256, "counts": assembled.counts, "sources": sources,
            "trigger": trigger, "parent_version": parent_version}


def _like(values: pd.Series, reference: pd.Series) -> pd.Series:
    """Labels arrive as text; give them the parent's target type so classes stay one set (0/1, not 0/1/'0'/'1')."""
    if pd.api.types.is_integer_dtype(reference):
        return pd.to_numeric(values).astype(reference.dtype)
    if pd.api.types.is_float_dtype(reference):
        return pd.to_numeric(values).astype(float)
    if pd.api.types.is_bool_dtype(reference):
        return values.astype(str).str.lower().isin({"true", "1"})
    return values.astype(str)
