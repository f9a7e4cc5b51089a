"""Scoring one chunk: read its rows, split valid rows from rejects, score, write, sketch.

Outputs go to deterministic keys (:mod:`batch.layout`), so a retried or rerun chunk
overwrites its own part instead of adding one. Scored rows keep every input column, under
its own name (``mean radius`` stays ``mean radius``), and gain ``prediction`` (and
``probability_<class>`` for classifiers), ``model_version``, ``run_id`` and the row's
identity ``source_uri`` / ``source_row`` (:mod:`batch.identity`); rejected rows keep their
input values (as text) with ``reject_reason``, ``source_uri`` and ``source_row``. The
chunk's result (with the multiset hashes of the rows and ids it wrote) and drift sketch are
written to S3 for finalize, and the small result is returned to the state machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import awswrangler as wr
import numpy as np
import pandas as pd

from batch import identity, layout
from batch.errors import IdentityMismatch
from batch.events import Chunk, ChunkResult, RunContext
from batch.model import load_model
from batch.read import read_csv_chunk, read_parquet_rows
from batch.validate import validate
from lightship.bundle.model_bundle import ModelBundle
from lightship.bundle.row_contract import (
    MODEL_VERSION,
    PREDICTION,
    REJECT_REASON,
    RUN_ID,
    SOURCE_ROW,
    SOURCE_URI,
    RowPolicy,
    probability_column,
)
from lightship.drift.sketch import Counts, DriftSketch, count_values, prediction_values
from lightship.s3io import Pin, get_json, put_json
from lightship.settings import cached_settings


@dataclass
class Scored:
    scored: pd.DataFrame
    rejects: pd.DataFrame
    rejected_by_reason: dict[str, int]
    sketch: DriftSketch
    flagged_by_feature: dict[str, int] = field(default_factory=dict)  # scored rows out of the training range
    rows_flagged: int = 0


def score_chunk(s3: Any, run: RunContext, chunk: Chunk) -> ChunkResult:
    started = time.perf_counter()
    bundle = load_model(s3, run.model.model_data_url)
    frame = read_chunk(s3, chunk, run.id_column)
    if len(frame) != chunk.rows:
        raise IdentityMismatch(
            f"chunk {chunk.chunk_id} read {len(frame)} rows of {chunk.uri} (rows {chunk.first_row}.., "
            f"{chunk.format} {chunk.start}-{chunk.stop}), the plan counted {chunk.rows}"
        )
    duplicates = None
    if chunk.duplicates:
        rows = np.asarray(get_json(s3, layout.duplicates(run.report_uri, run.run_id, chunk.chunk_id)), dtype=np.int64)
        duplicates = rows - chunk.first_row
    policy = RowPolicy(**cached_settings().rows.model_dump())
    result = score_frame(frame, bundle, run.model.version, run.run_id, chunk.uri, chunk.first_row,
                         id_column=run.id_column, duplicates=duplicates, policy=policy)
    output_uri = rejects_uri = None
    if len(result.scored):
        output_uri = layout.output_part(run.output_uri, chunk.chunk_id)
        write_parquet(result.scored, output_uri)
    if len(result.rejects):
        rejects_uri = layout.rejects_part(run.rejects_uri, chunk.chunk_id)
        write_parquet(result.rejects, rejects_uri)
    # The rows written, scores and rejects together, by logical row number; their ids as read
    # (the scores may hold an id column converted, when it is also a numeric feature).
    rows_written = np.concatenate([f[SOURCE_ROW].to_numpy(dtype=np.int64) for f in (result.scored, result.rejects) if len(f)]
                                  or [np.zeros(0, dtype=np.int64)])
    outcome = ChunkResult(
        chunk_id=chunk.chunk_id,
        first_row=chunk.first_row,
        rows_in=len(frame),
        rows_scored=len(result.scored),
        rows_rejected=len(result.rejects),
        row_hash=identity.row_hash(rows_written),
        id_hash=None if run.id_column is None else identity.id_hash(
            frame[run.id_column].iloc[rows_written - chunk.first_row].reset_index(drop=True)
        ),
        rejected_by_reason=result.rejected_by_reason,
        rows_flagged=result.rows_flagged,
        flagged_by_feature=result.flagged_by_feature,
        output_uri=output_uri,
        rejects_uri=rejects_uri,
        result_uri=layout.chunk_result(run.report_uri, run.run_id, chunk.chunk_id),
        seconds=round(time.perf_counter() - started, 4),
    )
    put_json(s3, outcome.result_uri, {"result": outcome.model_dump(), "sketch": result.sketch.to_dict()})
    return outcome


def read_chunk(s3: Any, chunk: Chunk, id_column: str | None = None) -> pd.DataFrame:
    """The chunk's rows, from exactly the version of its file the plan pinned."""
    version = Pin(uri=chunk.uri, size=chunk.size, version_id=chunk.version_id, etag=chunk.etag)
    if chunk.format == "csv":
        return read_csv_chunk(s3, version, chunk.header_stop, chunk.start, chunk.stop, id_column)
    return read_parquet_rows(s3, version, chunk.first_row, chunk.rows)


def write_parquet(frame: pd.DataFrame, uri: str) -> None:
    # awswrangler writes with pyarrow's "spark" flavor by default, which renames columns
    # ("mean radius" -> "mean_radius"); without a flavor the input's own names are kept.
    wr.s3.to_parquet(frame, path=uri, index=False, pyarrow_additional_kwargs={"flavor": None})


def score_frame(
    frame: pd.DataFrame, bundle: ModelBundle, model_version: int, run_id: str, source_uri: str = "", first_row: int = 0,
    id_column: str | None = None, duplicates: np.ndarray | None = None, policy: RowPolicy | None = None,
) -> Scored:
    """Validate, score and sketch ``frame`` in memory (no I/O): the heart of a chunk.

    ``duplicates``: positions in ``frame`` of rows whose id an earlier row of the run holds.
    """
    schema = bundle.schema
    check = validate(frame, schema, policy, refused=_identity_refusals(frame, id_column, duplicates))
    good = frame if not check.rejected else frame.loc[check.valid].reset_index(drop=True)
    rows = check.rows  # the row contract's model inputs, as serving builds them
    scored = good.copy()  # lazy under pandas' copy-on-write: columns are shared until replaced
    sketch = DriftSketch(rows=len(good), features={}, prediction=None)
    for i, feature in enumerate(schema.features):
        column: Any = rows[:, i]
        if feature.kind == "numeric":
            if pd.api.types.is_float_dtype(good[feature.name]):
                column = good[feature.name].to_numpy(dtype=float, na_value=np.nan)  # the same numbers, no object detour
            else:
                column = column.astype(float)
                scored[feature.name] = column  # text digits in a CSV become numbers, as the model saw them
        elif feature.name in good.columns:
            column = good[feature.name]
            if not pd.api.types.is_string_dtype(column):
                # Every part of a day gets the same Parquet type, even a CSV chunk where the column
                # happens to be all missing (read as numbers).
                scored[feature.name] = column.astype("string")
            column = pd.Series(rows[:, i], dtype=object)  # what the model got: blanks missing, booleans "True"/"False"
        if feature.name in bundle.profile.features:
            sketch.features[feature.name] = count_values(bundle.profile.features[feature.name], column)
    if len(good):
        predictions, probabilities = bundle.predict_rows(rows)
        scored[PREDICTION] = predictions
        if probabilities is not None:
            for j, cls in enumerate(bundle.classes if bundle.classes is not None else ()):
                scored[probability_column(cls)] = probabilities[:, j]
        sketch.prediction = count_values(bundle.profile.prediction, prediction_values(schema.task, predictions, probabilities))
    else:
        sketch.prediction = Counts([0] * _bins(bundle.profile.prediction))
    scored[MODEL_VERSION] = np.int32(model_version)
    scored[RUN_ID] = run_id
    scored[SOURCE_URI] = source_uri
    scored[SOURCE_ROW] = (np.flatnonzero(check.valid) + first_row).astype(np.int64)
    rejects = frame.loc[~check.valid].astype("string").reset_index(drop=True) if check.rejected else pd.DataFrame()
    if check.rejected:
        rejects[REJECT_REASON] = check.reasons[~check.valid].astype(str)
        rejects[SOURCE_URI] = source_uri
        rejects[SOURCE_ROW] = (np.flatnonzero(~check.valid) + first_row).astype(np.int64)
    return Scored(scored=scored, rejects=rejects, rejected_by_reason=check.counts(), sketch=sketch,
                  flagged_by_feature=check.flagged_by_feature, rows_flagged=check.rows_flagged)


def _identity_refusals(frame: pd.DataFrame, id_column: str | None, duplicates: np.ndarray | None) -> np.ndarray | None:
    """Per row, the identity reason it is refused for, or None: a row without an id, or with an id
    an earlier row holds, is rejected for that, whatever else it holds (:mod:`batch.identity`)."""
    if id_column is None:
        return None
    missing = identity.missing_ids(frame[id_column])
    later = np.zeros(len(frame), dtype=bool)
    if duplicates is not None and len(duplicates):
        later[duplicates] = True
    if not (missing.any() or later.any()):
        return None
    reasons = np.full(len(frame), None, dtype=object)
    reasons[later] = identity.duplicate_reason(id_column)
    reasons[missing] = identity.missing_reason(id_column)
    return reasons


def _bins(profile: Any) -> int:
    return len(profile.edges) + 1 if hasattr(profile, "edges") else len(profile.categories) + 1
