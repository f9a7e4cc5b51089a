"""``lightship drift --reference A --current B``: the batch run's drift statistics and report
for any two data sets (local files or folders, or s3:// objects or prefixes).

The reference is read whole to fit the bins (quantiles for numbers, categories for the
rest: the same :meth:`NumericProfile.fit` / :meth:`CategoricalProfile.fit` training
uses); the current data is streamed batch by batch into a merged sketch, so it can be
far larger than memory. ``progress(rows_done, rows_total)`` is called after each batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from lightship.bundle.profile import BaselineProfile, CategoricalProfile, FeatureProfile, NumericProfile
from lightship.drift.report import DriftReport, drift_report
from lightship.drift.sketch import DriftSketch, count_values, merge, sketch_frame
from lightship.errors import DataError
from lightship.file_formats import format_of
from lightship.s3io import Pin, S3File, list_objects
from lightship.s3uri import S3Uri, is_s3

BATCH_ROWS = 100_000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Source:
    location: str  # a local path or an s3:// address
    format: str
    size: int


def sources(location: str, s3: Any = None) -> list[Source]:
    """The CSV/Parquet files at ``location`` (a file or a folder/prefix; ``s3``: the client for an s3:// one)."""
    if is_s3(location):
        found = [Source(o.uri, fmt, o.size) for o in list_objects(_needed(s3, location), location) if (fmt := format_of(o.uri) or "")]
    else:
        path = Path(location)
        if not path.exists():
            raise DataError(f"{location}: no such file or folder")
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        found = [Source(str(p), fmt, p.stat().st_size) for p in files if (fmt := format_of(str(p)) or "")]
    if not found:
        raise DataError(f"{location}: no .csv or .parquet files there")
    return found


def count_rows(items: list[Source], s3: Any = None) -> int | None:
    """Rows across Parquet files from their footers; None when a CSV makes it unknown without a pass."""
    total = 0
    for item in items:
        if item.format != "parquet":
            return None
        total += _parquet(item, s3).metadata.num_rows
    return total


def batches(items: list[Source], columns: list[str] | None = None, s3: Any = None) -> Iterator[pd.DataFrame]:
    for item in items:
        try:
            if item.format == "parquet":
                handle = _parquet(item, s3)
                for i in range(handle.metadata.num_row_groups):
                    yield handle.read_row_group(i, columns=columns).to_pandas()
            else:
                source = item.location if not is_s3(item.location) else _s3_body(s3, item.location)
                yield from pd.read_csv(source, chunksize=BATCH_ROWS, usecols=columns)
        except (ValueError, OSError) as exc:
            raise DataError(f"{item.location}: cannot be read ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from exc


def fit_profile(reference: pd.DataFrame, bins: int) -> BaselineProfile:
    features: dict[str, FeatureProfile] = {}
    for name in reference.columns:
        column = reference[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            features[str(name)] = NumericProfile.fit(column.to_numpy(dtype=float, na_value=float("nan")), bins)
        else:
            features[str(name)] = fit_categorical(column)
    # No model: the prediction profile is a placeholder that is never compared.
    return BaselineProfile(rows=len(reference), features=features, prediction=NumericProfile(edges=[], counts=[0]))


def fit_categorical(column: pd.Series, max_categories: int = 50) -> CategoricalProfile:
    """:meth:`CategoricalProfile.fit`'s profile (the most frequent categories, ties by name, sorted),
    built from pandas' value counts instead of a Python pass over every value."""
    text = column.dropna().astype(str)
    frequency = text[text != ""].value_counts(sort=False)  # "" is missing, as in the profile
    ranked = sorted(zip(frequency.index.tolist(), frequency.tolist(), strict=True), key=lambda item: (-item[1], item[0]))
    profile = CategoricalProfile(categories=sorted(name for name, _ in ranked[:max_categories]), counts=[])
    counted = count_values(profile, column)
    profile.counts, profile.missing = counted.bins, counted.missing
    return profile


def compare_data(
    reference: str,
    current: str,
    thresholds: Callable[[str], tuple[float, float]],
    bins: int = 20,
    progress: Progress | None = None,
    s3: Any = None,
) -> DriftReport:
    """Drift of ``current`` against ``reference`` (local paths or s3:// addresses; ``s3``: the client for those)."""
    ref_items, cur_items = sources(reference, s3), sources(current, s3)
    ref_frame = pd.concat(list(batches(ref_items, s3=s3)), ignore_index=True)
    cur_columns = _columns(cur_items[0], s3)
    common = [c for c in ref_frame.columns if c in cur_columns]
    if not common:
        raise DataError(f"{reference} and {current} share no columns")
    profile = fit_profile(ref_frame[common], bins)
    total = count_rows(cur_items, s3) or 0
    sketches: list[DriftSketch] = []
    done = 0
    for frame in batches(cur_items, columns=common, s3=s3):
        sketches.append(sketch_frame(profile, frame, None))
        done += len(frame)
        if progress:
            progress(done, max(total, done))
    merged = merge(sketches)
    merged.prediction = None
    return drift_report(
        "Drift report",
        profile,
        merged,
        thresholds,
        context={"reference": reference, "current": current},
    )


def _columns(item: Source, s3: Any) -> list[str]:
    if item.format == "parquet":
        return list(_parquet(item, s3).schema_arrow.names)
    source = item.location if not is_s3(item.location) else _s3_body(s3, item.location)
    return [str(c) for c in pd.read_csv(source, nrows=0).columns]


def _parquet(item: Source, s3: Any) -> pq.ParquetFile:
    if not is_s3(item.location):
        return pq.ParquetFile(item.location)
    return pq.ParquetFile(S3File(_needed(s3, item.location), Pin(item.location, item.size, None, None)))


def _s3_body(s3: Any, uri: str) -> Any:
    where = S3Uri.parse(uri)
    return _needed(s3, uri).get_object(Bucket=where.bucket, Key=where.key)["Body"]


def _needed(s3: Any, location: str) -> Any:
    if s3 is None:
        raise DataError(f"{location}: an s3:// address, and no S3 client was given")
    return s3
