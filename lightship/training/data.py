"""Reading training data (CSV or Parquet, a file or a folder of them) and refusing bad data
with one clear line that names the file and the problem.

Called by the training script inside the job and by ``lightship train`` before it
uploads anything, so a bad file fails on the user's machine, not an hour later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lightship.bundle.row_contract import RESERVED, reserved_columns
from lightship.bundle.schema import Task
from lightship.errors import DataError

SUFFIXES = {".csv", ".parquet", ".pq"}
MAX_CLASSES = 50


@dataclass(frozen=True)
class TrainingData:
    frame: pd.DataFrame
    target: str
    task: Task
    files: tuple[str, ...]
    sha256: str
    rows_read: int
    rows_without_target: int


def data_files(path: Path) -> list[Path]:
    """The data files at ``path``: the file itself, or the CSV/Parquet files under a folder."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise DataError(f"{path}: no .csv or .parquet files in this folder")
    return files


def read_frame(path: Path) -> pd.DataFrame:
    """One file as a DataFrame, or a :class:`DataError` naming it."""
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for an unparsable file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot be parsed as {suffix[1:]} ({reason})") from exc
    raise DataError(f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .parquet")


def content_hash(files: list[Path]) -> str:
    """sha256 over the files' names and bytes, in name order: the data version in the lineage."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def infer_task(target: pd.Series) -> Task:
    """Classification for text, booleans and integers with few values; regression otherwise."""
    if target.dtype == object or isinstance(target.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(target):
        return "classification"
    if pd.api.types.is_string_dtype(target):
        return "classification"
    if pd.api.types.is_integer_dtype(target) and target.nunique() <= MAX_CLASSES:
        return "classification"
    return "regression"


def load_training_data(path: Path, target: str, task: Task | None = None) -> TrainingData:
    """Read and check training data; every refusal names the file (or folder) and the reason."""
    files = data_files(path)
    frames = []
    for f in files:
        frame = read_frame(f)
        if target not in frame.columns:
            columns = ", ".join(map(str, frame.columns[:10]))
            raise DataError(f"{f}: no target column '{target}' (columns: {columns})")
        reserved = reserved_columns(c for c in frame.columns if c != target)
        if reserved:
            raise DataError(f"{f}: column '{reserved[0]}' is {RESERVED}")
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    where = str(path)
    rows_read = len(frame)
    if rows_read == 0:
        raise DataError(f"{where}: no rows")
    labelled = frame[frame[target].notna()].reset_index(drop=True)
    if labelled.empty:
        raise DataError(f"{where}: no usable rows (target '{target}' is missing in all {rows_read} rows)")
    if labelled.shape[1] < 2:
        raise DataError(f"{where}: no feature columns besides the target '{target}'")
    datetimes = [c for c in labelled.columns if pd.api.types.is_datetime64_any_dtype(labelled[c])]
    if datetimes:
        raise DataError(f"{where}: datetime columns are not supported as features: {', '.join(datetimes)}")
    resolved = task or infer_task(labelled[target])
    if resolved == "classification":
        classes = labelled[target].nunique()
        if classes < 2:
            only = labelled[target].iloc[0]
            raise DataError(f"{where}: target '{target}' has one class ({only!r}); need at least two to classify")
        if classes > MAX_CLASSES:
            raise DataError(f"{where}: target '{target}' has {classes} classes; at most {MAX_CLASSES} are supported")
    elif not pd.api.types.is_numeric_dtype(labelled[target]):
        raise DataError(f"{where}: target '{target}' is not numeric, so it cannot be a regression target")
    min_rows = 10
    if len(labelled) < min_rows:
        raise DataError(f"{where}: only {len(labelled)} usable rows; need at least {min_rows}")
    return TrainingData(
        frame=labelled,
        target=target,
        task=resolved,
        files=tuple(str(f) for f in files),
        sha256=content_hash(files),
        rows_read=rows_read,
        rows_without_target=rows_read - len(labelled),
    )
