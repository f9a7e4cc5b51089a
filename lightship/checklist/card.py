"""The model card: one self-contained HTML page per version, written to S3 and recorded on the version.

What the system knows comes from the registry and the checklist's answers (lineage, holdout metrics,
the gate's decision, each answer with its evidence). What only a person knows, the intended use and
the limitations, comes from ``model_card.json`` next to the training data (:mod:`lightship.model_card`)
or from the command's options, which win. What is
missing is shown as missing, never filled in. The page is written to
``s3://<artifact bucket>/model-cards/v{N}.html`` and its address recorded in the version's customer
metadata (``model_card``). Every value is escaped; no script, no external resource.
"""

from __future__ import annotations

from html import escape
from typing import Any

from lightship.checklist.answers import Answer, VersionFacts
from lightship.model_card import CardText
from lightship.s3uri import S3Uri

CARD_PREFIX = "model-cards"
MISSING = '<span class="missing">missing</span>'


def card_key(version: int) -> str:
    return f"{CARD_PREFIX}/v{version}.html"


# ---- the page -------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.sub{color:#666;margin-top:0} .missing{color:#b30000;font-weight:600;font-style:italic}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem;width:100%} th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap} table.narrow{width:auto;min-width:20rem} th{background:#f6f6f6}
.yes{color:#2a7a2a;font-weight:600} .no{color:#b30000;font-weight:600} .unknown{color:#8a6d00;font-weight:600}
.evidence{color:#555;font-size:.8rem;word-break:break-all} .text{white-space:pre-wrap}
"""


def _text(value: str | None) -> str:
    return f'<div class="text">{escape(value)}</div>' if value else MISSING


def _cell(value: Any) -> str:
    return MISSING if value in (None, "", {}, []) else escape(str(value))


def render_card(version: VersionFacts, answers: list[Answer], text: CardText, created_at: str) -> str:
    e = version.evaluation
    lineage = version.lineage
    git = lineage.get("git", {})
    data = lineage.get("data", {})
    job = lineage.get("training_job", {})
    commit = git.get("commit")
    if commit and git.get("dirty"):
        commit = f"{commit} (with uncommitted changes)"
    facts = [
        ("Model", e.get("model")), ("Task", e.get("task")), ("Target", e.get("target")),
        ("Registry status", version.status), ("Approval", version.approval_description),
        ("Training data", data.get("uri")), ("Data sha256", data.get("sha256")),
        ("Rows (train / holdout)", f"{e['data']['train_rows']:,} / {e['data']['holdout_rows']:,}" if "train_rows" in e.get("data", {}) else None),
        ("Features", e.get("data", {}).get("features")),
        ("Code commit", commit), ("Repository", git.get("repository")),
        ("Hyperparameters", ", ".join(f"{k}={v}" for k, v in sorted(lineage.get("hyperparameters", {}).items()))),
        ("Training job", job.get("name")), ("Image", job.get("image")),
        ("scikit-learn", lineage.get("sklearn_version")), ("Runtime", (e.get("onnx") or {}).get("runtime")),
        ("Bundle", version.model_data_url), ("Evaluation report", version.evaluation_uri),
        ("Launched by", lineage.get("launched_by")), ("Launched at", lineage.get("launched_at")),
    ]
    fact_rows = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in facts)
    metrics = e.get("metrics") or {}
    metric_rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td class=\"num\">{escape(f'{v:.4f}' if isinstance(v, float) else str(v))}</td></tr>"
        for k, v in sorted(metrics.items()) if not isinstance(v, (dict, list)))
    metric_table = (f"<table class=\"narrow\"><thead><tr><th>metric</th><th class=\"num\">holdout</th></tr></thead><tbody>{metric_rows}</tbody></table>"
                    if metric_rows else f"<p>{MISSING}</p>")
    answer_rows = "".join(
        f'<tr><td>{escape(a.question)}</td><td class="{a.verdict}">{escape(a.verdict)}</td><td>{escape(a.detail)}'
        f'<div class="evidence">{"<br>".join(escape(x) for x in a.evidence)}</div></td></tr>'
        for a in answers)
    title = f"Model card: {version.address.split(' (')[0]}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="sub">{escape(version.arn)} · written {escape(created_at)}{" · card text from " + escape(text.source) if text.source else ""}</p>
<h2>Intended use</h2>{_text(text.intended_use)}
<h2>Limitations</h2>{_text(text.limitations)}
<h2>Owner</h2>{_text(text.owner)}
<h2>Where it came from</h2><table><tbody>{fact_rows}</tbody></table>
<h2>Evaluation on the holdout</h2>{metric_table}
<h2>Go-live checklist</h2>
<table><thead><tr><th>question</th><th>answer</th><th>detail and evidence</th></tr></thead><tbody>{answer_rows}</tbody></table>
</body></html>
"""


def write_card(s3: Any, bucket: str, version: int, page: str) -> S3Uri:
    uri = S3Uri(bucket, card_key(version))
    s3.put_object(Bucket=uri.bucket, Key=uri.key, Body=page.encode(), ContentType="text/html; charset=utf-8")
    return uri
