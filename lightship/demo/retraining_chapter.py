"""Demo chapter: close the loop. Concept drift -> quality alarm -> retraining on fresh labels -> gate -> canary -> promoted.

The quality chapter's alarm was recorded by the retraining function and not acted on:
``retraining.on_quality`` is off by default. This chapter turns it on (as
``LIGHTSHIP_RETRAINING__ON_QUALITY=true`` or cdk.json's ``retraining.on_quality`` would; with the
release's bake time in seconds, as the release chapter's plans have) and puts back live the version
chapter 1 trained on SageMaker (a retraining run reuses the live version's training job: its code
and parameters). Today's customers then do what the quality chapter's did: one region's outcomes
flip. A day of them is batch-scored, their labels land, the quality run breaches, the alarm goes to
ALARM and reaches the alerts topic, and the retraining function starts a run of the synthesized
retraining state machine: the parent's rows plus today's labeled rows (a quarter of those held out
by id), a training job on the emulator's SageMaker, the gate comparing the retrained version and
the champion **on the same held-out fresh rows** (where the concept changed, the champion is
worse), then a canary under live traffic, promoted. The chapter ends with the new version live and
its lineage saying why it exists.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lightship.clients import client
from lightship.demo.quality_chapter import FLIPPED_REGION, _labels, _live, _quality_run, _score_a_day
from lightship.demo.release_chapter import BAKE_SECONDS, MIN_REQUESTS, _Traffic
from lightship.demo.story import Story
from lightship.deployment.deploy import deploy
from lightship.deployment.record import DeploymentRecord
from lightship.polling import wait_until
from lightship.registry.model_registry import APPROVED, ModelRegistry
from lightship.retraining.ledger import RunLedger

ROWS = 30_000  # enough fresh labels to outweigh the parent's 5,000 old-concept rows
SEED = 51
SETTINGS = {
    "LIGHTSHIP_RETRAINING__ON_QUALITY": "true",
    "LIGHTSHIP_RETRAINING__POLL_SECONDS": "1",
    "LIGHTSHIP_RELEASE__BAKE_MINUTES": f"{BAKE_SECONDS / 60:.4f}",
    "LIGHTSHIP_RELEASE__MIN_REQUESTS": str(MIN_REQUESTS),
}


@contextmanager
def _retraining_settings() -> Iterator[None]:
    """The settings the functions read for this chapter (they load them per invocation), restored afterwards."""
    saved = {key: os.environ.get(key) for key in SETTINGS}
    os.environ.update(SETTINGS)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def retraining(story: Story) -> None:
    settings, resources = story.settings, story.resources
    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)
    record = DeploymentRecord(client("dynamodb"), resources.deployment_table)
    ledger = RunLedger(client("dynamodb"), resources.deployment_table)
    earlier = [e for e in ledger.recent(20) if e.details.get("trigger", {}).get("kind") == "quality"]
    if earlier:
        story.fact("the quality chapter's alarm", f"seen by the retraining function: {earlier[0].outcome} ({earlier[0].reason})")

    trained_by_job = [v for v in story.state.get("versions", []) if registry.version(v).status == APPROVED]
    parent = max(trained_by_job)
    deploy(registry, record, parent, reason="demo: the version trained by a SageMaker job in chapter 1", by="lightship demo")
    story.fact("live", f"version {parent} again (trained by a SageMaker job in chapter 1: a retraining run reuses its code and parameters)")

    today = dt.datetime.now(dt.UTC).date().isoformat()
    with _retraining_settings(), _Traffic(story) as traffic:
        truth = _score_a_day(story, today, seed=SEED, flip=True, rows=ROWS)
        _labels(story, today, truth)
        report = _quality_run(story, today)
        mine = _live(report, parent)
        if not report["breach"]:
            raise AssertionError(f"today's flipped labels did not breach: realized ROC AUC {mine['realized']['roc_auc']['value']:.3f}")
        story.fact(f"quality {today}, region {FLIPPED_REGION}'s outcomes flipped again",
                   f"version {parent}'s realized ROC AUC {mine['realized']['roc_auc']['value']:.3f} on {mine['labeled']:,} labels "
                   f"(holdout {mine['holdout']['roc_auc']:.3f}): breach")
        run_id = _alarm(story, report, today)
        run = _wait_for_run(story, ledger, run_id)
        release_id = run.details.get("release_id")
        if run.outcome != "released" or not release_id:
            raise AssertionError(f"retraining run {run_id} ended {run.outcome}: {run.reason}")
        candidate = int(run.details["version"])
        story.fact(f"retraining run {run_id}", f"{run.outcome}: {run.reason}")
        promoted = wait_until(lambda: (lambda d: d if d is not None and d.version == candidate and d.release is None else None)(record.live()),
                              f"the canary of version {candidate} to be promoted", timeout=240)
    version = registry.version(candidate)
    lineage = version.lineage["retraining"]
    counts, same = lineage["dataset"]["counts"], lineage["same_rows"]
    story.fact(f"version {candidate} in the registry", f"{version.status}: {version.approval_description}")
    story.fact(f"same {same['rows']:,} held-out fresh rows",
               f"{same['metric']} {same['challenger']['value']:.3f} (version {candidate}) against {same['champion']['value']:.3f} "
               f"(champion v{same['champion_version']}); on its own mixed holdout version {candidate} has "
               f"{version.metrics.get(same['metric'], float('nan')):.3f}")
    story.fact(f"canary of version {candidate}", f"{' -> '.join(f'{s:g} %' for s in settings.release.steps)} -> 100 %, promoted: live is version "
                                                 f"{promoted.version}, version {promoted.previous_version} is the rollback target")
    story.fact("requests during the loop", ", ".join(f"{n} x {status} from version {v}" for (status, v), n in sorted(
        traffic.served.items(), key=lambda i: (str(i[0][1]), i[0][0]))))
    trigger = lineage["trigger"]
    story.fact(f"why version {candidate} exists (lineage)",
               f"trigger {trigger['kind']} ({trigger['reason'][:90]}...); parent version {lineage['parent_version']}; dataset "
               f"{lineage['dataset']['version']}: {counts['parent_rows']:,} parent rows + {counts['new_rows']:,} labeled rows of "
               f"{today} ({counts['holdout_rows']:,} held out for the gate); run {lineage['run_id']}")


def _alarm(story: Story, report: dict[str, Any], date: str) -> str:
    """Set the quality alarm from the breach (the emulator evaluates no alarms), let it reach the alerts topic; the run it started."""
    alarm = story.resources.quality_alarm
    cloudwatch = client("cloudwatch")
    # Still in ALARM from the quality chapter: back to OK now that another version is live, then the new breach.
    watcher = story.emulator.alarm_watcher if story.emulator else None
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="demo: another version went live")
    if watcher is not None:
        watcher.deliver_pending()  # the watcher delivers changes of state it has seen: let it see OK before ALARM
    reason = f"QualityBreach=1 (Role=live) put by the quality run of {date}: {report['subject']}"
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason=reason[:1000])
    if watcher is not None:
        watcher.deliver_pending()
    ledger = RunLedger(client("dynamodb"), story.resources.deployment_table)
    started = wait_until(lambda: next((e for e in ledger.recent(10) if e.kind == "trigger" and e.outcome == "started"
                                       and e.details.get("trigger", {}).get("kind") == "quality"), None),
                         "the quality alarm to start a retraining run", timeout=60)
    story.fact(f"alarm {alarm} -> alerts topic -> retraining function", f"run {started.run_id} started ({started.reason})")
    return str(started.run_id)


def _wait_for_run(story: Story, ledger: RunLedger, run_id: str) -> Any:
    sfn = client("stepfunctions")
    arn = story.resources.execution_arn(story.resources.retraining_state_machine, run_id)
    with story.console.status(f"retraining run {run_id} on the synthesized state machine"):
        wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(sfn.describe_execution(executionArn=arn)),
                   f"retraining run {run_id}", timeout=600)
    entry = ledger.outcome_of(run_id)
    if entry is None:
        raise AssertionError(f"retraining run {run_id} ended without an outcome in the ledger")
    return entry
