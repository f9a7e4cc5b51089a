"""Demo chapter: batch scoring on the synthesized state machine, drift, rejects and reruns.

Makes sure a version is live (deploying the newest Approved one, as ``lightship deploy``
does, if no earlier chapter did), then drops three days of input and runs the batch
state machine for each, exactly as ``lightship batch run --date`` does: a normal day,
a shifted day that shows drift (and publishes an alert), and a day with bad rows and
unusable files (rejects with reasons, quarantine). It reruns the first day to show
that outputs are replaced, not duplicated, and compares two local files with
``lightship drift``'s code. Prints where outputs, manifests and reports are.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd

from lightship.batch_run import execution
from lightship.batch_run.request import RunRequest
from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.story import Story
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.drift.compare import compare_data
from lightship.drift.limits import DriftLimits
from lightship.present.batch_run import summary
from lightship.registry.model_registry import APPROVED, ModelRegistry
from lightship.s3io import get_bytes, get_json

NORMAL, SHIFTED, MESSY = "2026-11-20", "2026-11-21", "2026-11-22"


def batch(story: Story) -> None:
    resources = story.resources
    version = ensure_live(story)
    story.fact("live model for batch", f"version {version} (from the deployment record)")
    bucket = resources.data_bucket

    normal = customers(rows=30_000, seed=21).drop(columns=["churned"])
    put_input(story, NORMAL, "morning.parquet", _parquet(normal.iloc[:20_000]))
    put_input(story, NORMAL, "evening.csv", normal.iloc[20_000:].to_csv(index=False).encode())
    first = run_batch(story, NORMAL)
    story.fact(f"batch {NORMAL}", _line(first) + f"; outputs under {first['manifest']['outputs'][0].rsplit('/', 1)[0]}/")

    again = run_batch(story, NORMAL, show=False)
    same = again["manifest"]["outputs"] == first["manifest"]["outputs"]
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix=f"{story.settings.batch_output_prefix}/date={NORMAL}/")
    story.fact(f"rerun {NORMAL}", f"{'same' if same else 'different'} {len(again['manifest']['outputs'])} output key(s) overwritten, "
                                   f"{listed.get('KeyCount', 0)} part(s) in the partition: no duplicates")

    shifted = customers(rows=30_000, seed=22, shift=1.0).drop(columns=["churned"])
    put_input(story, SHIFTED, "shifted.parquet", _parquet(shifted))
    drifted = run_batch(story, SHIFTED)
    drift = drifted["manifest"]["drift"]
    html = story.workspace / f"drift-report-{SHIFTED}.html"
    html.write_bytes(get_bytes(client("s3"), drifted["manifest"]["report"]["html"]))
    story.fact(f"batch {SHIFTED} (shifted)", f"drift in {', '.join(drift['drifted_features'])} (max PSI {drift['max_psi']:.2f}); "
                                             f"alert published to {story.resources.alerts_topic}; report {html}")

    messy = customers(rows=5_000, seed=23).drop(columns=["churned"]).astype(object)
    messy.loc[:99, "tenure_months"] = None
    messy.loc[100:149, "monthly_spend"] = "unknown"
    messy.loc[150:159, "support_calls"] = "many"
    put_input(story, MESSY, "messy.csv", messy.to_csv(index=False).encode())
    put_input(story, MESSY, "export-v2.csv", pd.DataFrame({"customer": range(50), "score": 1.0}).to_csv(index=False).encode())
    put_input(story, MESSY, "truncated.parquet", _parquet(normal.iloc[:500])[:300])
    bad = run_batch(story, MESSY)
    rows = bad["manifest"]["rows"]
    reasons = "; ".join(f"{n} {reason}" for reason, n in rows["rejected_by_reason"].items() if not reason.startswith("file quarantined"))
    story.fact(f"batch {MESSY} (bad rows, bad files)", f"in {rows['in']:,} = scored {rows['scored']:,} + rejected {rows['rejected']:,} "
                                                        f"({reasons}; the rest in quarantined files); rejects in {bad['manifest']['rejects'][0]}")
    for obj in bad["manifest"]["input"]["objects"]:
        if obj["status"] == "quarantined":
            story.fact(f"  quarantined {obj['uri'].rsplit('/', 1)[-1]}", f"{obj['reason']}; kept at {obj['quarantine_uri']}")

    reference, current = story.workspace / "reference.parquet", story.workspace / "current.csv"
    customers(rows=20_000, seed=31).to_parquet(reference, index=False)
    customers(rows=20_000, seed=32, shift=0.5).to_csv(current, index=False)
    limits = DriftLimits.from_settings(story.settings)
    report = compare_data(str(reference), str(current), limits.thresholds_for, bins=limits.bins)
    story.fact("lightship drift on two local files", f"drift in {', '.join(report.drifted) or 'nothing'} (of {len(report.features)} columns)")
    story.console.print(f"  manifests and reports: s3://{bucket}/{story.settings.batch_report_prefix}/date=<day>/"
                        "{manifest.json, report.json, report.html}")


def ensure_live(story: Story) -> int:
    record = DeploymentRecord(client("dynamodb"), story.resources.deployment_table)
    live = record.live()
    if live is not None:
        return live.version
    registry = ModelRegistry(story.settings, client("sagemaker"), client("s3"), story.resources.artifact_bucket)
    approved = registry.versions(APPROVED)
    if not approved:
        raise AssertionError("no Approved version to score with: the training chapter must run first")
    newest = max(approved, key=lambda v: v.version)
    outcome = deploy(registry, record, newest.version, reason="demo: batch scoring needs a live model", by="lightship demo")
    return outcome.deployment.version


def run_batch(story: Story, date: str, show: bool = True) -> dict[str, Any]:
    resources = story.resources
    sfn = client("stepfunctions")
    arn = resources.state_machine_arn(resources.batch_state_machine)
    with story.console.status(f"batch run for {date} on the synthesized state machine") as status:
        started = execution.start(sfn, arn, RunRequest(date=dt.date.fromisoformat(date)))
        done = execution.wait(sfn, started, progress=lambda step: status.update(f"batch run for {date}: {step}"))
    result = done.output["result"]
    manifest = get_json(client("s3"), result["manifest_uri"])
    if show:
        story.console.print(summary(manifest, result, done.seconds))
    return {"result": result, "manifest": manifest, "seconds": done.seconds}


def _line(outcome: dict[str, Any]) -> str:
    rows = outcome["manifest"]["rows"]
    return f"{rows['scored']:,} rows scored in {outcome['seconds']:.1f} s, {rows['rejected']:,} rejected, " \
           f"{'drift' if outcome['result']['alert'] else 'no drift'}"


def put_input(story: Story, date: str, name: str, body: bytes) -> None:
    key = f"{story.settings.batch_input_prefix.strip('/')}/date={date}/{name}"
    client("s3").put_object(Bucket=story.resources.data_bucket, Key=key, Body=body)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, row_group_size=10_000)
    return buffer.getvalue()
