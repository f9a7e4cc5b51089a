"""The last step of a run: gather every chunk's result, merge the drift sketches, compute drift
against the model's baseline, estimate quality from the scores (CBPE, :mod:`batch.estimate`), write the
report (JSON + HTML) and the manifest, remove parts an earlier run of the same date left behind,
and say whether to alert.

Before anything is written or removed, finalize checks that the day is whole, cheaply
(no data is read): every input object is still the version the plan pinned (else
:class:`InputChanged`); the chunks of each file cover its logical rows (and, for a CSV, its
bytes) exactly once; each chunk read the rows planned for it and wrote each of them once,
scored or rejected (its multiset hashes of row numbers, and of ids under an id column,
equal those of the plan; else :class:`IdentityMismatch`); a chunk without its result, or
rows that do not add up (rows in = scored + rejected), raise :class:`IncompleteRun`. The
state machine then fails the run loudly (an alert, no manifest) instead of publishing a
partial day as if it were whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from batch import identity, layout
from batch.config import BatchConfig
from batch.errors import IdentityMismatch, IncompleteRun
from batch.estimate import estimate_scores
from batch.events import Chunk, ChunkResult, FinalizeResult, InputObject, PlanResult, RunContext
from batch.metrics import run_metrics
from batch.model import load_model
from batch.plan import objects_uri
from lightship.drift.report import DriftReport, drift_report
from lightship.drift.report_html import render_html
from lightship.drift.sketch import DriftSketch, empty_sketch, merge
from lightship.errors import InputChanged
from lightship.s3io import Pin, current, delete, get_json, list_objects, put_bytes, put_json

QUARANTINED = "file quarantined"
SCORED = "scored"  # a manifest's input file the run read to the end: each row scored or rejected


@dataclass
class Finalized:
    result: FinalizeResult
    manifest: dict[str, Any]
    report: DriftReport | None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Gathered:
    """What the plan and the chunks left in S3, checked whole (:func:`gather`)."""

    chunks: list[Chunk]
    objects: list[InputObject]
    results: list[ChunkResult]
    sketches: list[DriftSketch]

    @property
    def quarantined(self) -> list[InputObject]:
        return [o for o in self.objects if o.status == "quarantined"]


@dataclass(frozen=True)
class Tally:
    """The run's rows: in = scored + rejected, rejections by reason, scored rows flagged out of range (:func:`tally`)."""

    rows_in: int
    scored: int
    rejected: int
    by_reason: dict[str, int]
    flagged: int = 0


@dataclass(frozen=True)
class Reported:
    """The drift report and the CBPE estimate, where they were written (:func:`write_report`)."""

    report: DriftReport | None = None
    json_uri: str | None = None
    html_uri: str | None = None
    estimated: dict[str, Any] | None = None


def finalize(s3: Any, run: RunContext, plan: PlanResult, config: BatchConfig) -> Finalized:
    """Check the day is whole, tally it, clean up, report, write the manifest, and say whether to alert."""
    gathered = gather(s3, run, plan)
    counts = tally(gathered)
    outputs, rejects = clean_up(s3, run, gathered)
    reported = write_report(s3, run, config, gathered, outputs, counts.scored)
    status: Literal["complete", "empty"] = "complete" if gathered.objects else "empty"
    manifest = build_manifest(run, plan, gathered, counts, outputs, rejects, reported, status)
    manifest_uri = layout.manifest(run.report_uri)
    put_json(s3, manifest_uri, manifest)
    alert, subject, message = _alert(run, status, reported.report, manifest, manifest_uri, reported.html_uri)
    outcome = FinalizeResult(
        status=status, alert=alert, subject=subject, message=message, manifest_uri=manifest_uri,
        report_uri=reported.json_uri, html_uri=reported.html_uri, rows_in=counts.rows_in, rows_scored=counts.scored,
        rows_rejected=counts.rejected, drifted=reported.report.drifted if reported.report else [],
    )
    return Finalized(result=outcome, manifest=manifest, report=reported.report,
                     metrics=run_metrics(counts.rows_in, counts.scored, counts.rejected, counts.flagged,
                                         reported.report, reported.estimated))


def gather(s3: Any, run: RunContext, plan: PlanResult) -> Gathered:
    """The plan's chunks and objects and every chunk's result and sketch, after checking (reading no
    data) that the inputs are unchanged and the chunks cover each file once and read what was planned."""
    chunks = [Chunk.model_validate(c) for c in get_json(s3, plan.plan_uri)]
    objects = [InputObject.model_validate(o) for o in get_json(s3, objects_uri(run))]
    check_pinned(s3, objects)
    check_coverage(objects, chunks)
    results, sketches = [], []
    for chunk in chunks:
        uri = layout.chunk_result(run.report_uri, run.run_id, chunk.chunk_id)
        try:
            stored = get_json(s3, uri)
        except Exception as exc:
            raise IncompleteRun(f"chunk {chunk.chunk_id} of {chunk.uri} has no result at {uri}: the day is incomplete") from exc
        result = ChunkResult.model_validate(stored["result"])
        if result.rows_in != chunk.rows:
            raise IncompleteRun(f"chunk {chunk.chunk_id}: planned {chunk.rows} rows, read {result.rows_in}")
        check_chunk_identity(chunk, result, run.id_column)
        results.append(result)
        sketches.append(DriftSketch.from_dict(stored["sketch"]))
    return Gathered(chunks=chunks, objects=objects, results=results, sketches=sketches)


def tally(gathered: Gathered) -> Tally:
    """Rows in, scored and rejected (a quarantined file's rows are rejected with its reason); they must add up."""
    quarantined = gathered.quarantined
    by_reason: dict[str, int] = {}
    for r in gathered.results:
        for reason, n in r.rejected_by_reason.items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    for o in quarantined:
        if o.rejected_rows:
            key = f"{QUARANTINED}: {o.reason}"
            by_reason[key] = by_reason.get(key, 0) + o.rejected_rows
    rows_in = sum(r.rows_in for r in gathered.results) + sum(o.rejected_rows for o in quarantined)
    scored = sum(r.rows_scored for r in gathered.results)
    rejected = sum(r.rows_rejected for r in gathered.results) + sum(o.rejected_rows for o in quarantined)
    if rows_in != scored + rejected or sum(by_reason.values()) != rejected:
        raise IncompleteRun(f"rows do not add up: in {rows_in}, scored {scored}, rejected {rejected}")
    return Tally(rows_in=rows_in, scored=scored, rejected=rejected, by_reason=by_reason,
                 flagged=sum(r.rows_flagged for r in gathered.results))


def clean_up(s3: Any, run: RunContext, gathered: Gathered) -> tuple[list[str], list[str]]:
    """This run's output and reject parts; parts an earlier run of the date left there are deleted."""
    outputs = sorted(r.output_uri for r in gathered.results if r.output_uri)
    rejects = sorted(r.rejects_uri for r in gathered.results if r.rejects_uri)
    keep = set(outputs) | set(rejects) | {o.quarantine_uri for o in gathered.quarantined if o.quarantine_uri}
    listed = [*list_objects(s3, run.output_uri), *list_objects(s3, run.rejects_uri)]
    stale = [o.uri for o in listed if o.uri not in keep]
    if stale:
        delete(s3, stale)
    return outputs, rejects


def write_report(s3: Any, run: RunContext, config: BatchConfig, gathered: Gathered, outputs: list[str], scored: int) -> Reported:
    """Drift against the model's baseline from the merged sketches (JSON + HTML), and the CBPE estimate."""
    report_json, report_html = layout.report_json(run.report_uri), layout.report_html(run.report_uri)
    if not scored:  # nothing scored: an earlier run's report of this date must not stand as this run's
        delete(s3, [report_json, report_html])
        return Reported()
    bundle = load_model(s3, run.model.model_data_url)
    estimated = estimate_scores(s3, bundle, outputs)
    merged = merge(gathered.sketches) if gathered.sketches else empty_sketch(bundle.profile)
    report = drift_report(
        f"Drift report {run.date}: model v{run.model.version}",
        bundle.profile,
        merged,
        config.thresholds_for,
        context={"date": run.date, "run": run.run_id, "model version": run.model.version, "input": run.input_uri},
    )
    put_json(s3, report_json, report.to_dict())
    put_bytes(s3, report_html, render_html(report).encode(), "text/html; charset=utf-8")
    return Reported(report=report, json_uri=report_json, html_uri=report_html, estimated=estimated)


def build_manifest(run: RunContext, plan: PlanResult, gathered: Gathered, counts: Tally, outputs: list[str],
                   rejects: list[str], reported: Reported, status: str) -> dict[str, Any]:
    """The run's manifest: what went in, what came out, where, and how long it took."""
    finished = dt.datetime.now(dt.UTC)
    report, results = reported.report, gathered.results
    return {
        "run_id": run.run_id,
        "date": run.date,
        "status": status,
        "model": run.model.model_dump(),
        "input": {"prefix": run.input_uri, "objects": [_finished(o) for o in gathered.objects]},
        "problems": _problems(run, gathered.objects),
        "rows": {"in": counts.rows_in, "scored": counts.scored, "rejected": counts.rejected,
                 "rejected_by_reason": dict(sorted(counts.by_reason.items())), **_flagged(results)},
        # How a scored or rejected row is joined back to its input; checked for every chunk (gather).
        "identity": {"id_column": run.id_column, "row": list(identity.IDENTITY_COLUMNS), "chunks_verified": len(gathered.chunks),
                     "column_names": "as in the input (not sanitized)"},
        "outputs": outputs,
        "rejects": rejects,
        "quarantined": [o.quarantine_uri for o in gathered.quarantined],
        "report": {"json": reported.json_uri, "html": reported.html_uri},
        "drift": None
        if report is None
        else {"alert": report.alert, "drifted_features": report.drifted, "prediction_drifted": report.prediction_drifted,
              "max_psi": round(report.max_psi, 6)},
        # CBPE on the day's scores (binary classifiers with a calibrator; docs/quality.md says where it is wrong).
        "estimated_quality": reported.estimated,
        "chunks": len(gathered.chunks),
        "timings": {
            "started_at": run.started_at,
            "finished_at": finished.isoformat(timespec="seconds"),
            "wall_seconds": round((finished - dt.datetime.fromisoformat(run.started_at)).total_seconds(), 3),
            "plan_seconds": plan.seconds,
            "chunk_seconds_total": round(sum(r.seconds for r in results), 3),
            "chunk_seconds_max": round(max((r.seconds for r in results), default=0.0), 3),
        },
    }


def check_pinned(s3: Any, objects: list[InputObject]) -> None:
    """Every object the plan pinned is still that version: a file replaced or deleted during the
    run fails it (the scores would describe a file that no longer exists as it was)."""
    changed = []
    for o in objects:
        if o.status != "planned":
            continue
        planned = Pin(uri=o.uri, size=o.size, version_id=o.version_id, etag=o.etag)
        now = current(s3, o.uri)
        if now is None:
            changed.append(f"{o.uri} was deleted (the run read {planned.describe()})")
        elif (now.version_id, now.etag) != (o.version_id, o.etag):
            changed.append(f"{o.uri} was replaced (the run read {planned.describe()}, it is now {now.describe()})")
    if changed:
        raise InputChanged(f"input changed during the run: {'; '.join(changed)}; rerun the date to score the files as they are now")


def check_coverage(objects: list[InputObject], chunks: list[Chunk]) -> None:
    """The chunks of each planned file cover its rows ``0 .. rows-1`` (and a CSV's bytes after its
    header) once each, in order: no row planned twice, none left out."""
    by_file: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_file.setdefault(c.uri, []).append(c)
    for o in objects:
        if o.status != "planned":
            continue
        mine = sorted(by_file.pop(o.uri, []), key=lambda c: c.first_row)
        next_row = 0
        next_byte = mine[0].header_stop if mine and o.format == "csv" else None
        for c in mine:
            if c.first_row != next_row or c.rows <= 0 or (next_byte is not None and c.start != next_byte):
                raise IdentityMismatch(f"{o.uri}: chunk {c.chunk_id} starts at row {c.first_row} (byte {c.start}), "
                                       f"expected row {next_row}" + (f" (byte {next_byte})" if next_byte is not None else ""))
            next_row += c.rows
            next_byte = c.stop if next_byte is not None else None
        if next_row != (o.rows or 0) or (next_byte is not None and next_byte != o.size):
            raise IdentityMismatch(f"{o.uri}: chunks cover {next_row} of its {o.rows} rows")
    if by_file:
        raise IdentityMismatch(f"chunks planned for files not in the run: {', '.join(sorted(by_file))}")


def check_chunk_identity(chunk: Chunk, result: ChunkResult, id_column: str | None) -> None:
    """The chunk read its planned rows and wrote each once, scored or rejected (multiset hashes)."""
    where = f"chunk {chunk.chunk_id} of {chunk.uri} (rows {chunk.first_row}..{chunk.first_row + chunk.rows - 1})"
    if result.first_row != chunk.first_row or result.rows_scored + result.rows_rejected != result.rows_in:
        raise IdentityMismatch(f"{where}: wrote {result.rows_scored} scored + {result.rows_rejected} rejected rows "
                               f"from row {result.first_row}, read {result.rows_in}")
    if result.row_hash != identity.range_hash(chunk.first_row, chunk.rows):
        raise IdentityMismatch(f"{where}: the row numbers it wrote are not its rows once each "
                               "(a row written twice, or one never written)")
    if id_column is not None and result.id_hash != chunk.id_hash:
        raise IdentityMismatch(f"{where}: the ids it wrote are not the ids the plan read for its rows "
                               f"({id_column}): the chunk read other rows than planned")


def _finished(o: InputObject) -> dict[str, Any]:
    """An input file as the finished run leaves it: every planned file was read, its rows scored or
    rejected (checked above); a quarantined one keeps its reason."""
    out = o.model_dump()
    if o.status == "planned":
        out["status"] = SCORED
    return out


def _problems(run: RunContext, objects: list[InputObject]) -> list[str]:
    out = [f"{o.uri}: {o.reason} (kept at {o.quarantine_uri})" for o in objects if o.status == "quarantined"]
    if not objects:
        out.append(f"no input files under {run.input_uri}")
    return out


def _alert(
    run: RunContext, status: str, report: DriftReport | None, manifest: dict[str, Any], manifest_uri: str, html_uri: str | None
) -> tuple[bool, str, str]:
    rows = manifest["rows"]
    lines = [
        f"Batch run {run.run_id} for {run.date} with model v{run.model.version}.",
        f"Rows in {rows['in']:,}, scored {rows['scored']:,}, rejected {rows['rejected']:,}.",
        *manifest["problems"],
        f"Manifest: {manifest_uri}",
    ]
    if status == "empty":
        return True, f"Lightship batch {run.date}: no input"[:100], "\n".join(lines)
    if report is None or not report.alert:
        return False, f"Lightship batch {run.date}: no drift"[:100], "\n".join(lines)
    drifted = report.drifted + (["prediction"] if report.prediction_drifted else [])
    for f in [*report.features, *([report.prediction] if report.prediction else [])]:
        if f.drifted:
            ks = "" if f.ks is None else f", KS D {f.ks:.3f} (limit {f.ks_threshold:g})"
            lines.append(f"  {f.name}: PSI {f.psi:.3f} (limit {f.psi_threshold:g}){ks}")
    lines.append(f"Report: {html_uri}")
    return True, f"Lightship batch {run.date}: drift in {', '.join(drifted)}"[:100], "\n".join(lines)


def _flagged(results: list[ChunkResult]) -> dict[str, Any]:
    """Scored rows with a number outside the training range (rows.out_of_range=flag), in all and per feature."""
    by_feature: dict[str, int] = {}
    for r in results:
        for name, n in r.flagged_by_feature.items():
            by_feature[name] = by_feature.get(name, 0) + n
    return {"flagged": sum(r.rows_flagged for r in results), "flagged_by_feature": dict(sorted(by_feature.items()))}
