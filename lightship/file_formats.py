"""The data file formats Lightship reads (CSV and Parquet), told by the file name's suffix.

One rule for the batch job's plan (:mod:`batch.plan`), its reader (:mod:`batch.read`) and
``lightship drift`` (:mod:`lightship.drift.compare`): a file they do not recognise is skipped
by drift and quarantined by a batch run.
"""

from __future__ import annotations

from typing import Literal

Format = Literal["csv", "parquet"]
SUFFIXES: dict[str, Format] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def format_of(uri: str) -> Format | None:
    """The format of the file at ``uri`` (a path or an s3:// address), or None when neither."""
    name = uri.rsplit("/", 1)[-1].lower()
    for suffix, fmt in SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None
