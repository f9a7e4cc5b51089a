"""Demo chapter: the go-live checklist for the live version, answered from what the story left behind.

``lightship checklist``'s code: each answer yes / no / unknown with its evidence (the registry, the
record, the batch manifests and drift reports, capture, the quality report, the alarms), the model
card written to S3 with its address on the registry version. The story never ran
``lightship train --verify`` (a training job: minutes on AWS), so reproducibility answers no, and the
exit code a CI gate would see is 1; the chapter says so. The HTML reports the story wrote (this card,
the last drift report, the last quality report) are saved under ``reports/`` in the workspace, to open
in a browser (``scripts/screenshots.sh`` renders them).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lightship.checklist import render
from lightship.checklist.evidence import Clients
from lightship.checklist.run import run_checklist
from lightship.clients import client
from lightship.demo.batch_chapter import ensure_live
from lightship.demo.story import Story
from lightship.s3uri import S3Uri

INTENDED_USE = "Rank current customers by churn risk for the retention team's weekly calls."
LIMITATIONS = ("Trained on a generated table (lightship datasets customers), not real customers. "
               "Not for pricing or credit decisions. One region's behaviour changed in the quality chapter: retrain before relying on it there.")
REPORTS = "reports"


def checklist(story: Story) -> None:
    ensure_live(story)
    clients = Clients(s3=client("s3"), sagemaker=client("sagemaker"), dynamodb=client("dynamodb"), cloudwatch=client("cloudwatch"))
    result = run_checklist(story.settings, story.resources, clients, None, intended_use=INTENDED_USE, limitations=LIMITATIONS,
                           owner="the demo")
    story.console.print(render.table(result.version, result.answers, result.card_uri))
    counts = Counter(a.verdict for a in result.answers)
    noes = ", ".join(a.key for a in result.answers if a.verdict == "no") or "none"
    story.fact("go-live checklist", f"version {result.version}: {counts['yes']} yes, {counts['no']} no ({noes}), "
                                    f"{counts['unknown']} unknown; exit code {result.exit_code}")
    story.fact("model card", f"{result.card_uri}, recorded on registry version {result.version}")
    saved = save_reports(story, result.card_uri)
    story.fact("HTML reports to open in a browser", ", ".join(str(p) for p in saved))


def save_reports(story: Story, card_uri: str) -> list[Path]:
    """The model card, and the newest drift and quality reports, copied into the workspace."""
    s3 = client("s3")
    data = story.resources.data_bucket
    wanted = {"model-card.html": S3Uri.parse(card_uri)}
    for name, prefix in (("drift-report.html", story.settings.batch_report_prefix), ("quality-report.html", story.settings.quality.report_prefix)):
        keys = sorted(o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=data, Prefix=prefix.strip("/") + "/")
                      for o in page.get("Contents", []) if o["Key"].endswith("/report.html"))
        if keys:
            wanted[name] = S3Uri(data, keys[-1])
    folder = story.workspace / REPORTS
    folder.mkdir(exist_ok=True)
    saved = []
    for name, uri in wanted.items():
        path = folder / name
        path.write_bytes(s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read())
        saved.append(path)
    return saved
