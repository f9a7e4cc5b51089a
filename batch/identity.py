"""Row identity in a batch run, and the multiset hashes that prove every input row was written
exactly once, scored or rejected.

Every input row has an identity: the value of its ``batch.id_column`` when one is set, and
always its file and logical row number (``source_uri``, ``source_row``: 0 is the first
row after the header; blank lines are not rows). Scores and rejects both carry
``source_uri`` and ``source_row`` next to the input's own columns (the id column among them).

Under an id column, a row whose id is missing is rejected (``<col>: missing id``), and so is
every row whose id an earlier row of the run already holds (``<col>: duplicate id``; earlier
means in key order of the files, then row order), so an id identifies one scored row.

A *multiset hash* is the sum, modulo 2^64, of a 64-bit hash of each element: equal multisets
give equal hashes, whatever the order, and a duplicate or a gap changes the sum. A chunk
returns the hashes of the row numbers and ids it wrote; the plan knows the row range (and
the ids it read) of every chunk; finalize compares the two (:mod:`batch.finalize`).
Called by :mod:`batch.plan`, :mod:`batch.score` and :mod:`batch.finalize`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from lightship.bundle.row_contract import SOURCE_ROW, SOURCE_URI

IDENTITY_COLUMNS = (SOURCE_URI, SOURCE_ROW)
_MISSING = "\x00missing"  # how a missing id enters a hash (no real id is this string)


def missing_reason(id_column: str) -> str:
    return f"{id_column}: missing id"


def duplicate_reason(id_column: str) -> str:
    return f"{id_column}: duplicate id (an earlier input row has it)"


def _combine(hashes: np.ndarray) -> str:
    total = np.add.reduce(hashes.astype(np.uint64, copy=False), dtype=np.uint64) if len(hashes) else np.uint64(0)
    return f"{int(total):016x}"


def row_hash(rows: Iterable[int] | np.ndarray) -> str:
    """Multiset hash of logical row numbers."""
    values = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.int64)
    return _combine(pd.util.hash_array(values))


def range_hash(first_row: int, rows: int) -> str:
    """The row hash a chunk of rows ``[first_row, first_row + rows)`` must return."""
    return row_hash(np.arange(first_row, first_row + rows, dtype=np.int64))


def id_keys(ids: pd.Series) -> np.ndarray:
    """Ids as the text they compare by (a CSV's ids are read as text, so ``007`` stays ``007``)."""
    text = ids.astype("string")
    return text.fillna(_MISSING).to_numpy(dtype=object)


def id_hash(ids: pd.Series) -> str:
    """Multiset hash of ids (missing ones included, as one marker value)."""
    return _combine(pd.util.hash_array(id_keys(ids)))


def missing_ids(ids: pd.Series) -> np.ndarray:
    """Rows without an id: null, or text that is empty or only spaces."""
    missing = ids.isna().to_numpy()
    if ids.dtype == object or pd.api.types.is_string_dtype(ids):
        missing = missing | ids.astype("string").str.strip().eq("").to_numpy(dtype=bool, na_value=False)
    return np.asarray(missing, dtype=bool)


def later_duplicates(files: list[pd.Series]) -> list[np.ndarray]:
    """For each file's ids (in run order), the row numbers whose id an earlier row of the run holds.

    Exact (pandas compares the values, not hashes); memory is the run's id column.
    """
    if not files:
        return []
    keys = pd.Series(np.concatenate([id_keys(ids) for ids in files]) if files else [], dtype=object)
    missing = np.concatenate([missing_ids(ids) for ids in files])
    later = keys.duplicated(keep="first").to_numpy() & ~missing
    out, offset = [], 0
    for ids in files:
        out.append(np.flatnonzero(later[offset : offset + len(ids)]).astype(np.int64))
        offset += len(ids)
    return out
