"""The last step of a run: gather every chunk's result, merge the drift sketches, compute drift
against the model's baseline, write the report (JSON + HTML) and the manifest, remove
parts an earlier run of the same date left behind, and say whether to alert.

A chunk without its result, or rows that do not add up (rows in = scored + rejected),
raise :class:`IncompleteRun`: the state machine then fails the run loudly instead of
publishing a partial day as if it were whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from batch import layout
from batch.config import BatchConfig
from batch.errors import IncompleteRun
from batch.events import Chunk, ChunkResult, FinalizeResult, InputObject, PlanResult, RunContext
from batch.model import load_model
from batch.plan import objects_uri
from batch.report import DriftReport, drift_report
from batch.report_html import render_html
from batch.s3io import delete, get_json, list_objects, put_bytes, put_json
from batch.sketch import DriftSketch, empty_sketch, merge

QUARANTINED = "file quarantined"


@dataclass
class Finalized:
    result: FinalizeResult
    manifest: dict[str, Any]
    report: DriftReport | None
    metrics: dict[str, float] = field(default_factory=dict)


def finalize(run: RunContext, plan: PlanResult, config: BatchConfig) -> Finalized:
    chunks = [Chunk.model_validate(c) for c in get_json(plan.plan_uri)]
    objects = [InputObject.model_validate(o) for o in get_json(objects_uri(run))]
    results, sketches = [], []
    for chunk in chunks:
        uri = layout.chunk_result(run.report_uri, run.run_id, chunk.chunk_id)
        try:
            stored = get_json(uri)
        except Exception as exc:
            raise IncompleteRun(f"chunk {chunk.chunk_id} of {chunk.uri} has no result at {uri}: the day is incomplete") from exc
        result = ChunkResult.model_validate(stored["result"])
        if result.rows_in != chunk.rows:
            raise IncompleteRun(f"chunk {chunk.chunk_id}: planned {chunk.rows} rows, read {result.rows_in}")
        results.append(result)
        sketches.append(DriftSketch.from_dict(stored["sketch"]))

    quarantined = [o for o in objects if o.status == "quarantined"]
    by_reason: dict[str, int] = {}
    for r in results:
        for reason, n in r.rejected_by_reason.items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    for o in quarantined:
        if o.rejected_rows:
            key = f"{QUARANTINED}: {o.reason}"
            by_reason[key] = by_reason.get(key, 0) + o.rejected_rows
    rows_in = sum(r.rows_in for r in results) + sum(o.rejected_rows for o in quarantined)
    scored = sum(r.rows_scored for r in results)
    rejected = sum(r.rows_rejected for r in results) + sum(o.rejected_rows for o in quarantined)
    if rows_in != scored + rejected or sum(by_reason.values()) != rejected:
        raise IncompleteRun(f"rows do not add up: in {rows_in}, scored {scored}, rejected {rejected}")

    outputs = sorted(r.output_uri for r in results if r.output_uri)
    rejects = sorted(r.rejects_uri for r in results if r.rejects_uri)
    keep = set(outputs) | set(rejects) | {o.quarantine_uri for o in quarantined if o.quarantine_uri}
    stale = [o.uri for o in [*list_objects(run.output_uri), *list_objects(run.rejects_uri)] if o.uri not in keep]
    if stale:
        delete(stale)

    report = None
    report_uri = html_uri = None
    if scored:
        bundle = load_model(run.model.model_data_url)
        merged = merge(sketches) if sketches else empty_sketch(bundle.profile)
        report = drift_report(
            f"Drift report {run.date}: model v{run.model.version}",
            bundle.profile,
            merged,
            config.thresholds_for,
            context={"date": run.date, "run": run.run_id, "model version": run.model.version, "input": run.input_uri},
        )
        report_uri, html_uri = layout.report_json(run.report_uri), layout.report_html(run.report_uri)
        put_json(report_uri, report.to_dict())
        put_bytes(html_uri, render_html(report).encode(), "text/html; charset=utf-8")
    else:  # nothing scored: an earlier run's report of this date must not stand as this run's
        delete([layout.report_json(run.report_uri), layout.report_html(run.report_uri)])

    finished = dt.datetime.now(dt.UTC)
    status: Literal["complete", "empty"] = "complete" if objects else "empty"
    manifest_uri = layout.manifest(run.report_uri)
    manifest = {
        "run_id": run.run_id,
        "date": run.date,
        "status": status,
        "model": run.model.model_dump(),
        "input": {"prefix": run.input_uri, "objects": [o.model_dump() for o in objects]},
        "problems": _problems(run, objects),
        "rows": {"in": rows_in, "scored": scored, "rejected": rejected, "rejected_by_reason": dict(sorted(by_reason.items())),
                 **_flagged(results)},
        "outputs": outputs,
        "rejects": rejects,
        "quarantined": [o.quarantine_uri for o in quarantined],
        "report": {"json": report_uri, "html": html_uri},
        "drift": None
        if report is None
        else {"alert": report.alert, "drifted_features": report.drifted, "prediction_drifted": report.prediction_drifted,
              "max_psi": round(report.max_psi, 6)},
        "chunks": len(chunks),
        "timings": {
            "started_at": run.started_at,
            "finished_at": finished.isoformat(timespec="seconds"),
            "wall_seconds": round((finished - dt.datetime.fromisoformat(run.started_at)).total_seconds(), 3),
            "plan_seconds": plan.seconds,
            "chunk_seconds_total": round(sum(r.seconds for r in results), 3),
            "chunk_seconds_max": round(max((r.seconds for r in results), default=0.0), 3),
        },
    }
    put_json(manifest_uri, manifest)

    alert, subject, message = _alert(run, status, report, manifest, manifest_uri, html_uri)
    metrics: dict[str, float] = {"RowsIn": rows_in, "RowsScored": scored, "RowsRejected": rejected}
    if report is not None:
        metrics.update(MaxPsi=report.max_psi, DriftedFeatures=len(report.drifted))
    outcome = FinalizeResult(
        status=status, alert=alert, subject=subject, message=message, manifest_uri=manifest_uri,
        report_uri=report_uri, html_uri=html_uri, rows_in=rows_in, rows_scored=scored, rows_rejected=rejected,
        drifted=report.drifted if report else [],
    )
    return Finalized(result=outcome, manifest=manifest, report=report, metrics=metrics)


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
