"""The model card: one self-contained HTML page per version, written to S3 and recorded on the version.

What the system knows comes from the registry and the checklist's answers (lineage, holdout metrics,
the gate's decision, each answer with its evidence). What only a person knows, the intended use and
the limitations, comes from ``model_card.json`` next to the training data (``lightship train`` uploads
the one beside a local data file to ``s3://<data bucket>/<training prefix>/<dataset>/model_card.json``;
one inside the data prefix itself is read too) or from the command's options, which win. What is
missing is shown as missing, never filled in. The page is written to
``s3://<artifact bucket>/model-cards/v{N}.html`` and its address recorded in the version's customer
metadata (``model_card``). Every value is escaped; no script, no external resource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

from lightship.checklist.answers import Answer, VersionFacts
from lightship.errors import LightshipError
from lightship.s3uri import S3Uri, is_s3

CARD_FILE = "model_card.json"
CARD_PREFIX = "model-cards"
FIELDS = ("intended_use", "limitations", "owner")
MISSING = '<span class="missing">missing</span>'


def card_key(version: int) -> str:
    return f"{CARD_PREFIX}/v{version}.html"


@dataclass(frozen=True)
class CardText:
    """What a person wrote about the model; None is missing."""

    intended_use: str | None = None
    limitations: str | None = None
    owner: str | None = None
    source: str | None = None  # where it was read from

    def as_dict(self) -> dict[str, str | None]:
        return {"intended_use": self.intended_use, "limitations": self.limitations, "owner": self.owner}

    def overridden(self, **options: str | None) -> CardText:
        """Options given on the command line replace the file's values."""
        given = {k: v for k, v in options.items() if v}
        if not given:
            return self
        source = " + ".join(s for s in (self.source, "command-line options") if s)
        return CardText(**{**self.as_dict(), **given, "source": source})


def parse_card(text: str | bytes, where: str) -> CardText:
    """A ``model_card.json``: an object with ``intended_use``, ``limitations`` and ``owner`` (strings or lists of strings)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LightshipError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise LightshipError(f"{where}: expected a JSON object with {', '.join(FIELDS)}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise LightshipError(f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FIELDS)}")
    values: dict[str, str | None] = {}
    for name in FIELDS:
        value = data.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if value is not None and not isinstance(value, str):
            raise LightshipError(f"{where}: {name} must be a string or a list of strings")
        values[name] = value.strip() if value and value.strip() else None
    return CardText(**values, source=where)


def card_locations(data_uri: str) -> list[S3Uri]:
    """Where a card for data at ``data_uri`` may be: inside the data prefix, then next to it."""
    data = S3Uri.parse(data_uri.rstrip("/"))
    parent = data.key.rsplit("/", 1)[0] if "/" in data.key else ""
    return [data.join(CARD_FILE), S3Uri(data.bucket, parent).join(CARD_FILE)]


def read_card(s3: Any, data_uri: str | None) -> CardText:
    """The first ``model_card.json`` found next to the version's training data, or an empty card."""
    if not data_uri or not is_s3(data_uri):  # e.g. a version registered without S3 lineage
        return CardText()
    for uri in card_locations(data_uri):
        try:
            body = s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        return parse_card(body, str(uri))
    return CardText()


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
