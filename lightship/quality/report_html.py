"""The quality report as one self-contained HTML page: tables and inline SVG reliability plots, no script, no CDN."""

from __future__ import annotations

import html
from typing import Any


def _f(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}"


def _ci(metric: Any) -> str:
    if not isinstance(metric, dict) or metric.get("ci") is None:
        return ""
    low, high = metric["ci"]
    return f" [{low:.4f}, {high:.4f}]"


def reliability_svg(table: list[dict[str, Any]], size: int = 220) -> str:
    """Mean predicted (x) against observed rate (y) per bin; the diagonal is perfect calibration."""
    pad = 24
    span = size - 2 * pad
    points = [(pad + row["mean_predicted"] * span, size - pad - row["observed"] * span, row["rows"])
              for row in table if row["rows"]]
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 + min(n, 10_000) ** 0.25:.1f}" fill="#2a6fb0" fill-opacity="0.7"/>'
                   for x, y, n in points)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" aria-label="reliability">'
            f'<rect x="{pad}" y="{pad}" width="{span}" height="{span}" fill="none" stroke="#999"/>'
            f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" stroke="#bbb" stroke-dasharray="4"/>'
            f'<polyline points="{line}" fill="none" stroke="#2a6fb0"/>{dots}'
            f'<text x="{pad}" y="{size - pad + 12}" font-size="9" text-anchor="middle">0</text>'
            f'<text x="{size - pad}" y="{size - pad + 12}" font-size="9" text-anchor="middle">1</text>'
            f'<text x="{pad - 4}" y="{pad + 3}" font-size="9" text-anchor="end">1</text>'
            f'<text x="{size / 2}" y="{size - 4}" font-size="10" text-anchor="middle">mean predicted</text>'
            f'<text x="10" y="{size / 2}" font-size="10" transform="rotate(-90 10 {size / 2})" text-anchor="middle">observed</text></svg>')


def render_html(report: dict[str, Any]) -> str:
    parts = [f"<h1>Model quality, {html.escape(report['date'])}</h1>",
             f"<p>Window {report['window']['first']} – {report['window']['last']}: {report['predictions']:,} predictions, "
             f"{report['labels']:,} labels, {report['joined']:,} joined; {report['unmatched_labels']:,} labels matched no prediction, "
             f"{report['duplicate_predictions']:,} repeated prediction ids and {report['duplicate_labels']:,} repeated labels "
             f"were counted once.</p>",
             f"<p class='banner {'bad' if report.get('alert') else 'ok'}'>{html.escape(report['message'].splitlines()[0])}</p>"]
    for v in report["versions"]:
        verdict = f"<span class='{'bad' if v['breach'] else 'ok'}'>{html.escape(v['verdict'])}</span>"
        parts.append(f"<h2>Version {v['version']} ({html.escape(v['role'])}): {verdict}</h2>")
        parts.append(f"<p>{v['labeled']:,} labelled, {v['unlabeled']:,} awaiting labels.</p>")
        rows = ["<tr><th>metric</th><th>holdout</th><th>realized [CI]</th><th>estimated (labelled rows)</th>"
                "<th>estimated (awaiting labels)</th></tr>"]
        estimated = v.get("estimated") or {}
        for key in ("roc_auc", "accuracy", "log_loss", "brier", "rmse", "mae", "r2"):
            metric = v["realized"].get(key)
            if metric is None and key not in v["holdout"]:
                continue
            est_l = (estimated.get("labeled") or {}).get(key)
            est_u = (estimated.get("unlabeled") or {}).get(key)
            value = metric.get("value") if isinstance(metric, dict) else None
            rows.append(f"<tr><td>{key}</td><td>{_f(v['holdout'].get(key))}</td><td>{_f(value)}{_ci(metric)}</td>"
                        f"<td>{_f(est_l)}</td><td>{_f(est_u)}</td></tr>")
        parts.append("<table>" + "".join(rows) + "</table>")
        if v["realized"].get("calibration"):
            parts.append("<h3>Calibration (realized)</h3>" + reliability_svg(v["realized"]["calibration"]))
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th:first-child,td:first-child{text-align:left}"
             # The verdicts as the drift report shows them (lightship/drift/report_html.py): red for a breach, green for ok.
             ".bad{color:#b30000}.ok{color:#2a7a2a}.banner{padding:.8em 1em;border-radius:6px;font-weight:600}"
             ".banner.bad{background:#fde8e8}.banner.ok{background:#e8f6e8}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Quality {html.escape(report['date'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
