"""The shadow report: what a person reads before promoting a shadowed candidate.

:func:`build_report` reads a release's shadow records (written by
:class:`lightship.serving.shadow.ShadowLog`) and sums them up: instances compared,
agreement rate (same label), mean and max |Δ probability| (regression: |Δ prediction|),
latency p50/p99 by version, the candidate's errors and its calls past the deadline.
:func:`write_report` puts it in S3 as JSON and HTML under
``<release.prefix>/reports/release=<id>/``. ``lightship release report`` and the demo call them.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from lightship.serving.shadow import shadow_prefix


@dataclass(frozen=True)
class ShadowReport:
    release_id: str
    live_versions: list[int]
    candidate_version: int | None
    requests: int
    instances: int
    compared: int  # instances both versions answered
    agreement_rate: float | None  # classification only
    mean_abs_delta: float | None
    max_abs_delta: float | None
    latency_ms: dict[str, dict[str, float | None]] = field(default_factory=dict)  # "live" / "candidate" -> p50, p99
    errors: int = 0
    past_deadline: int = 0
    error_examples: list[str] = field(default_factory=list)
    generated_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def read_records(s3: Any, bucket: str, prefix: str, release_id: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=shadow_prefix(prefix, release_id)):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            records.extend(json.loads(line) for line in body.splitlines() if line.strip())
    return records


def build_report(release_id: str, records: list[dict[str, Any]]) -> ShadowReport:
    agree = [a for r in records for a in (r.get("agree") or [])]
    deltas = [float(d) for r in records for d in (r.get("abs_delta") or [])]
    errors = [r for r in records if r.get("error")]
    live_ms = [float(r["live_ms"]) for r in records if r.get("live_ms") is not None]
    candidate_ms = [float(r["candidate_ms"]) for r in records if r.get("candidate_ms") is not None and not r.get("error")]
    candidates = {int(r["candidate_version"]) for r in records if r.get("candidate_version") is not None}
    return ShadowReport(
        release_id=release_id,
        live_versions=sorted({int(r["live_version"]) for r in records if r.get("live_version") is not None}),
        candidate_version=next(iter(candidates)) if len(candidates) == 1 else None,
        requests=len(records),
        instances=sum(int(r.get("instances") or 0) for r in records),
        compared=max(len(agree), len(deltas)),
        agreement_rate=(sum(agree) / len(agree)) if agree else None,
        mean_abs_delta=(sum(deltas) / len(deltas)) if deltas else None,
        max_abs_delta=max(deltas) if deltas else None,
        latency_ms={"live": {"p50": percentile(live_ms, 50), "p99": percentile(live_ms, 99)},
                    "candidate": {"p50": percentile(candidate_ms, 50), "p99": percentile(candidate_ms, 99)}},
        errors=len(errors),
        past_deadline=sum(1 for r in records if r.get("late")),
        error_examples=sorted({str(r["error"]) for r in errors})[:5],
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _fmt(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def render_html(report: ShadowReport) -> str:
    rows = [
        ("Live version(s)", ", ".join(map(str, report.live_versions)) or "–"),
        ("Candidate version", str(report.candidate_version) if report.candidate_version is not None else "–"),
        ("Requests shadowed", str(report.requests)),
        ("Instances compared", f"{report.compared} of {report.instances}"),
        ("Agreement (same label)", "–" if report.agreement_rate is None else f"{report.agreement_rate:.2%}"),
        ("Mean |Δ|", _fmt(report.mean_abs_delta)),
        ("Max |Δ|", _fmt(report.max_abs_delta)),
        ("Latency live p50 / p99 (ms)", f"{_fmt(report.latency_ms['live']['p50'])} / {_fmt(report.latency_ms['live']['p99'])}"),
        ("Latency candidate p50 / p99 (ms)",
         f"{_fmt(report.latency_ms['candidate']['p50'])} / {_fmt(report.latency_ms['candidate']['p99'])}"),
        ("Candidate errors", str(report.errors)),
        ("Candidate calls past the deadline", str(report.past_deadline)),
    ]
    body = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    examples = "".join(f"<li><code>{html.escape(e)}</code></li>" for e in report.error_examples)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Shadow report {html.escape(report.release_id)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:2em}</style></head><body>"
        f"<h1>Shadow release {html.escape(report.release_id)}</h1><table>{body}</table>"
        + (f"<h2>Candidate errors (examples)</h2><ul>{examples}</ul>" if examples else "")
        + f"<p>Generated {html.escape(report.generated_at)}. |Δ| is the largest difference in class probability per instance "
        "(regression: the difference in prediction).</p></body></html>"
    )


def report_prefix(prefix: str, release_id: str) -> str:
    return f"{prefix.strip('/')}/reports/release={release_id}/"


def write_report(s3: Any, bucket: str, prefix: str, report: ShadowReport) -> tuple[str, str]:
    base = report_prefix(prefix, report.release_id)
    json_key, html_key = base + "report.json", base + "report.html"
    s3.put_object(Bucket=bucket, Key=json_key, Body=json.dumps(report.as_dict(), indent=2).encode(), ContentType="application/json")
    s3.put_object(Bucket=bucket, Key=html_key, Body=render_html(report).encode(), ContentType="text/html")
    return json_key, html_key
