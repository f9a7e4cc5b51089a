"""The drift report as one self-contained HTML page: a summary table, then per feature a bar
chart of reference vs current shares on the baseline's bins (inline SVG, inline CSS; no
script, no external resource), drifted features first. Written next to the JSON report.
"""

from __future__ import annotations

from html import escape

from lightship.drift.drift import FeatureDrift
from lightship.drift.report import DriftReport

REFERENCE_COLOUR = "#8da0cb"
CURRENT_COLOUR = "#fc8d62"

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.5rem;margin-bottom:.2rem} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem} th,td{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left} .bad{color:#b30000;font-weight:600} .ok{color:#2a7a2a}
.banner{padding:.8rem 1rem;border-radius:6px;margin:1rem 0;font-weight:600}
.banner.bad{background:#fde8e8} .banner.ok{background:#e8f6e8}
.card{border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.card h3{margin:.2rem 0 .4rem 0;font-size:1.05rem} .legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
"""


def render_html(report: DriftReport) -> str:
    items = sorted(report.features, key=lambda f: (not f.drifted, -f.psi))
    if report.prediction is not None:
        items = [report.prediction, *items]
    context = " · ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in report.context.items())
    if report.alert:
        names = ", ".join(report.drifted + (["prediction"] if report.prediction_drifted else []))
        banner = f'<div class="banner bad">Drift over threshold: {escape(names)}</div>'
    else:
        banner = '<div class="banner ok">No drift over threshold</div>'
    rows = "".join(_summary_row(f) for f in items)
    cards = "".join(_card(f) for f in items)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(report.title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(report.title)}</h1>
<p class="sub">{context}</p>
<p class="sub">reference: {report.reference_rows:,} rows · current: {report.current_rows:,} rows</p>
{banner}
<table><thead><tr><th>feature</th><th>kind</th><th>PSI</th><th>KS D</th><th>χ²</th><th>Cramér's V</th>
<th>missing ref → cur</th><th>verdict</th></tr></thead><tbody>{rows}</tbody></table>
<p class="legend">Bars: share of rows per baseline bin.<span style="background:{REFERENCE_COLOUR}"></span>reference
<span style="background:{CURRENT_COLOUR}"></span>current</p>
{cards}
<p class="sub">Verdicts use effect sizes (PSI, KS D) against the configured thresholds; the χ² p-value is
not used, as it flags trivial shifts on large samples.</p>
</body></html>
"""


def _summary_row(f: FeatureDrift) -> str:
    ks = "–" if f.ks is None else f"{f.ks:.3f}"
    verdict = '<span class="bad">drift</span>' if f.drifted else '<span class="ok">stable</span>'
    psi_cls = ' class="bad"' if f.psi > f.psi_threshold else ""
    ks_cls = ' class="bad"' if f.ks is not None and f.ks_threshold is not None and f.ks > f.ks_threshold else ""
    return (
        f"<tr><td><a href=\"#f-{escape(f.name)}\">{escape(f.name)}</a></td><td>{f.kind}</td>"
        f"<td{psi_cls}>{f.psi:.3f}</td><td{ks_cls}>{ks}</td><td>{f.chi2:,.1f}</td><td>{f.cramers_v:.3f}</td>"
        f"<td>{f.reference_missing:.1%} → {f.current_missing:.1%}</td><td>{verdict}</td></tr>"
    )


def _card(f: FeatureDrift) -> str:
    limits = f"PSI {f.psi:.3f} (limit {f.psi_threshold:g})"
    if f.ks is not None:
        limits += f" · KS D {f.ks:.3f} (limit {f.ks_threshold:g})"
    state = '<span class="bad">drift</span>' if f.drifted else '<span class="ok">stable</span>'
    return f'<div class="card" id="f-{escape(f.name)}"><h3>{escape(f.name)} {state}</h3><div>{limits}</div>{bar_chart(f)}</div>'


def bar_chart(f: FeatureDrift, width: int = 1000, height: int = 220) -> str:
    """Grouped bars, reference beside current, one group per bin; labels rotated below."""
    bins = len(f.labels)
    left, bottom, top = 40, 90, 10
    plot_w, plot_h = width - left - 10, height - top
    peak = max([*f.reference, *f.current, 1e-9])
    group = plot_w / bins
    bar = max(1.0, group * 0.38)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + bottom}" width="100%" role="img" '
              f'aria-label="{escape(f.name)}: reference vs current">')]
    for tick in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#666">{peak * tick:.0%}</text>')
    for i, label in enumerate(f.labels):
        x = left + i * group + group * 0.1
        for j, (value, colour) in enumerate(((f.reference[i], REFERENCE_COLOUR), (f.current[i], CURRENT_COLOUR))):
            h = plot_h * value / peak
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f'<title>{escape(label)}: {"reference" if j == 0 else "current"} {value:.2%}</title></rect>'
            )
        cx = left + i * group + group / 2
        parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 12}" font-size="10" fill="#444" text-anchor="end" '
                     f'transform="rotate(-45 {cx:.1f} {top + plot_h + 12})">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
