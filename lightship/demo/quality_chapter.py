"""Demo chapter: is the live model still right? Labels joined to predictions, an estimate before them, concept drift.

Two worlds, each a day of batch scores (the batch state machine, as ``lightship batch run``) and
later their labels (``lightship labels put``'s code), measured by the quality state machine
(``lightship quality run``'s code, the synthesized definition):

* **unchanged**: the quality run before any label estimates ROC AUC from the calibrated scores
  (CBPE); once the labels land, the realized figure lands within ``quality.estimate_tolerance`` of it.
* **concept drift**: the same inputs, but one region's customers now do the opposite of what
  they did: their labels flip. Input drift stays quiet (the batch run's drift check), the
  estimate does not move (it only sees the scores), realized quality falls below the holdout,
  and the run puts ``QualityBreach=1`` for the live role. CloudWatch would move the
  ``{project}-quality-realized`` alarm to ALARM on that datapoint; the emulator evaluates no
  alarms, so the chapter sets that state from the report's breach (as the rollback chapter does)
  and the emulator delivers it to the alarm's topic.

Its days are months after the batch chapter's, so the quality windows hold only this chapter's scores.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lightship.clients import client
from lightship.datasets import customers
from lightship.demo.batch_chapter import ensure_live, put_input, run_batch
from lightship.demo.story import Story
from lightship.quality import execution, store, wiring
from lightship.s3io import get_json

UNCHANGED, DRIFTED = "2027-03-10", "2027-06-10"
ROWS = 4_000
FLIPPED_REGION = "west"


def quality(story: Story) -> None:
    settings = story.settings
    version = ensure_live(story)
    tolerance = settings.quality.estimate_tolerance

    truth = _score_a_day(story, UNCHANGED, seed=41)
    before = _quality_run(story, UNCHANGED)
    estimated = _live(before, version)["estimated"]["unlabeled"]["roc_auc"]
    story.fact(f"quality {UNCHANGED}, no labels yet", f"estimated ROC AUC {estimated:.3f} (CBPE on {ROWS:,} calibrated scores)")
    _labels(story, UNCHANGED, truth)
    after = _live(_quality_run(story, UNCHANGED), version)
    realized = after["realized"]["roc_auc"]["value"]
    gap = abs(realized - estimated)
    if gap > tolerance:
        raise AssertionError(f"the estimate {estimated:.3f} missed the realized ROC AUC {realized:.3f} by more than {tolerance}")
    story.fact(f"quality {UNCHANGED}, labels in", f"realized ROC AUC {realized:.3f} on {after['labeled']:,} labels: within "
                                                 f"{gap:.3f} of the estimate (tolerance {tolerance}); holdout {after['holdout']['roc_auc']:.3f}")

    truth = _score_a_day(story, DRIFTED, seed=42, flip=True)
    _labels(story, DRIFTED, truth)
    report = _quality_run(story, DRIFTED)
    drifted = _live(report, version)
    r, e = drifted["realized"]["roc_auc"]["value"], drifted["estimated"]["labeled"]["roc_auc"]
    if not report["breach"]:
        raise AssertionError(f"flipped labels did not breach: realized ROC AUC {r:.3f}")
    story.fact(f"quality {DRIFTED}, region {FLIPPED_REGION}'s labels flipped",
               f"realized ROC AUC {r:.3f} < holdout {drifted['holdout']['roc_auc']:.3f} - {settings.quality.tolerance}: breach; "
               f"the estimate stays at {e:.3f} (only labels catch concept drift)")
    story.console.print(f"  report: {report['report_uri']} (and report.html)")

    alarm = story.resources.quality_alarm
    reason = f"QualityBreach=1 (Role=live) put by the quality run of {DRIFTED}: {report['subject']}"
    # The emulator evaluates no alarms: set the state the QualityBreach datapoint would give it on CloudWatch.
    client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason=reason[:1000])
    watcher = story.emulator.alarm_watcher if story.emulator else None
    if watcher is not None:
        watcher.deliver_pending()  # its own thread may have delivered it already: read every delivery below
    delivered = list(watcher.deliveries) if watcher else []
    [state] = client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    topics = sorted({d.topic_arn.rsplit(":", 1)[-1] for d in delivered if d.alarm == alarm})
    story.fact(f"alarm {alarm}", f"{state['StateValue']} (set from the breach: the emulator evaluates no alarms), delivered to "
                                 f"{', '.join(topics) or 'no topic'}; quality.on_breach={settings.quality.on_breach}")


def _score_a_day(story: Story, date: str, seed: int, flip: bool = False, rows: int = ROWS) -> pd.DataFrame:
    """Drop a day of input, score it with the batch state machine; the ids and true labels of its rows."""
    frame = customers(rows=rows, seed=seed)
    truth = frame.pop("churned")
    if flip:  # concept drift: the same customers, the opposite outcome for one region
        truth = truth.where(frame["region"] != FLIPPED_REGION, 1 - truth)
    put_input(story, date, "day.csv", frame.to_csv(index=False).encode())
    scored = run_batch(story, date, show=False)
    drift = scored["manifest"]["drift"]
    story.fact(f"batch {date}{' (labels will flip)' if flip else ''}",
               f"{scored['manifest']['rows']['scored']:,} rows scored; input drift: "
               + (f"in {', '.join(drift['drifted_features'])}" if drift["alert"] else f"none (max PSI {drift['max_psi']:.3f})"))
    source = scored["manifest"]["input"]["objects"][0]["uri"]
    return pd.DataFrame({"id": [f"{source}:{i}" for i in range(rows)], "label": truth.astype(int).to_numpy()})


def _labels(story: Story, date: str, truth: pd.DataFrame) -> None:
    path = story.workspace / f"labels-{date}.csv"
    truth.to_csv(path, index=False)
    result = wiring.put(story.settings, story.resources, path, date)
    if result.accepted != len(truth):
        raise AssertionError(f"labels {date}: {result.rejected_by_reason}")


def _quality_run(story: Story, date: str) -> dict[str, Any]:
    with story.console.status(f"quality run for {date} on the synthesized state machine") as status:
        done = execution.run(client("stepfunctions"), story.settings, story.resources, date,
                             progress=lambda step: status.update(f"quality run for {date}: {step}"))
    key = store.report_dated(story.settings.quality.report_prefix, date) + "report.json"
    report: dict[str, Any] = get_json(client("s3"), f"s3://{story.resources.data_bucket}/{key}")
    report["report_uri"] = done.output["result"]["report_uri"]
    return report


def _live(report: dict[str, Any], version: int) -> dict[str, Any]:
    [mine] = [v for v in report["versions"] if v["version"] == version]
    return dict(mine)
