"""``lightship release start|status|promote|abort|report``: gradual release of a new version.

``start N`` writes the release into the deployment record and starts the release state
machine (:mod:`lightship.release.launch`); ``--canary P`` is one step at P % then
promotion, ``--steps 10,50,100`` a schedule, ``--bake 10m`` every step's baking time,
``--shadow [--sample 0.5]`` a shadow. ``promote`` and ``abort`` are the same operations
the machine and the alarm path use (:mod:`lightship.release.controller`). ``report`` writes
the shadow report to S3 and prints it. Defaults come from ``settings.release``.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from lightship.cli.console import AwsContext, aws_context, console
from lightship.clients import client
from lightship.deployment.record import DeploymentRecord
from lightship.registry.lineage import who_am_i
from lightship.registry.model_registry import ModelRegistry
from lightship.release import controller
from lightship.release.checks import gather
from lightship.release.controller import ReleaseRefused, make_plan, parse_bake
from lightship.release.launch import launch
from lightship.deployment.release_state import release_of
from lightship.monitoring.alarms import candidate_alarm_names
from lightship.settings import load_settings


def _record(ctx: AwsContext) -> DeploymentRecord:
    return DeploymentRecord(client("dynamodb"), ctx.resources.deployment_table)


def _registry(ctx: AwsContext) -> ModelRegistry:
    return ModelRegistry(ctx.settings, client("sagemaker"), client("s3"), ctx.resources.artifact_bucket)


def _machine_arn(ctx: AwsContext) -> str:
    return ctx.resources.state_machine_arn(ctx.resources.release_state_machine)


def _steps(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ReleaseRefused(f"--steps {text!r}: expected percentages separated by commas, e.g. 10,50,100") from None


def _latest_release_id(record: DeploymentRecord) -> str | None:
    live = record.live()
    current = release_of(live.release) if live is not None else None
    if current is not None:
        return current.id
    for entry in record.history():
        found = entry.details_dict.get("release", {}).get("id")
        if found:
            return str(found)
    return None


release_app = typer.Typer(help="Release a version gradually: canary steps or a shadow, promoted or aborted.", no_args_is_help=True)


@release_app.command("start")
def start_command(
    version: int = typer.Argument(..., help="The Approved version to release"),
    canary: float = typer.Option(None, "--canary", help="One canary step at this % of requests, then promotion"),
    steps: str = typer.Option(None, "--steps", help="Canary schedule, e.g. 10,50,100 (% of requests per step)"),
    bake: str = typer.Option(None, "--bake", help="Each step's baking time, e.g. 10m, 90s (default: release.bake_minutes)"),
    shadow: bool = typer.Option(False, "--shadow", help="Shadow: the candidate scores live requests, never answers them"),
    sample: float = typer.Option(None, "--sample", help="Share of requests shadowed, in (0, 1] (default: release.shadow_sample_rate)"),
    reason: str = typer.Option("released by hand", "--reason", help="Why; kept in the record's history"),
) -> None:
    """Start releasing version N (canary or shadow); the release state machine steps, checks and promotes."""
    settings = load_settings()  # a usage mistake is refused before any AWS call
    plan = make_plan(settings.release, shadow=shadow, canary=canary, steps=_steps(steps),
                     bake_seconds=parse_bake(bake) if bake is not None else None, sample=sample)
    ctx = aws_context(settings)
    launched = launch(_registry(ctx), _record(ctx), client("stepfunctions"), _machine_arn(ctx), version, plan,
                      reason=reason, by=who_am_i(client("sts")))
    release = launched.outcome.release
    assert release is not None
    console.print(f"[bold]{release.describe()}[/]")
    console.print(f"baking {plan.bake_seconds:g} s per step; at least {plan.min_requests} candidate requests per step")
    console.print(f"state machine execution: {launched.execution_arn}")
    console.print("`lightship release status` follows it; `lightship release abort --reason ...` stops it")


@release_app.command("status")
def status_command(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """The release under way (candidate, mode, weight, step), its evidence so far, and its state machine."""
    ctx = aws_context()
    live = _record(ctx).live()
    release = release_of(live.release) if live is not None else None
    if release is None:
        latest = _latest_release_id(_record(ctx))
        message = "no release is under way" + (f" (the last was {latest})" if latest else "")
        typer.echo(json.dumps({"release": None, "last": latest})) if as_json else console.print(message)
        return
    evidence = gather(client("cloudwatch"), release, sorted(candidate_alarm_names(ctx.settings)))
    execution: dict[str, Any] = {}
    try:
        arn = _machine_arn(ctx).replace(":stateMachine:", ":execution:") + f":{release.id}"
        execution = client("stepfunctions").describe_execution(executionArn=arn)
    except Exception as exc:  # noqa: BLE001 - the record is the truth; the machine's status is a courtesy
        execution = {"status": f"unknown ({type(exc).__name__})"}
    if as_json:
        typer.echo(json.dumps({"release": json.loads(release.to_json()), "live_version": live.version if live else None,
                               "requests_this_step": evidence.requests, "load_failures": evidence.load_failures,
                               "alarms": evidence.alarms, "execution": execution.get("status")}, default=str))
        return
    console.print(f"[bold]{release.describe()}[/]")
    console.print(f"live: version {live.version if live else '?'}; started {release.started_at}; step since {release.step_started_at}")
    console.print(f"candidate requests this step: {evidence.requests:g} (needed {release.min_requests}); "
                  f"load failures: {evidence.load_failures:g}; candidate alarms in ALARM: {', '.join(a for a, _ in evidence.alarms) or 'none'}")
    console.print(f"state machine: {execution.get('status')}")


@release_app.command("promote")
def promote_command(reason: str = typer.Option("promoted by hand", "--reason", help="Why; kept in the record's history")) -> None:
    """Make the release's candidate live now (the former live version becomes the rollback target)."""
    ctx = aws_context()
    outcome = controller.promote(_record(ctx), _registry(ctx), None, reason=reason, by=who_am_i(client("sts")))
    if not outcome.changed:
        raise ReleaseRefused(outcome.message)
    console.print(f"[bold]{outcome.message}[/]")


@release_app.command("abort")
def abort_command(
    reason: str = typer.Option(..., "--reason", help="Why; kept in the record's history and the candidate's rejection"),
    keep_approved: bool = typer.Option(False, "--keep-approved", help="Do not mark the candidate Rejected"),
) -> None:
    """Stop the release: weight 0, the live version keeps answering, the candidate is marked Rejected."""
    ctx = aws_context()
    outcome = controller.abort(_record(ctx), _registry(ctx), None, reason=reason, by=who_am_i(client("sts")), reject=not keep_approved)
    if not outcome.changed:
        raise ReleaseRefused(outcome.message)
    console.print(f"[bold]{outcome.message}[/]")
    if outcome.rejected and outcome.release is not None:
        console.print(f"version {outcome.release.candidate_version} is now Rejected")


@release_app.command("report")
def report_command(
    release_id: str = typer.Option(None, "--release", help="The release (default: the one under way, else the last)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """The shadow report: agreement, |Δ probability|, latency by version, errors; written to S3 as JSON and HTML."""
    # Imported here: the report pulls in pandas and scikit-learn, which every other command (and
    # every usage error) would otherwise pay for at start-up (see lightship/cli/demo_cmd.py).
    from lightship.release.report import build_report, read_records, write_report

    ctx = aws_context()
    rid = release_id or _latest_release_id(_record(ctx))
    if rid is None:
        raise ReleaseRefused("no release to report on: `lightship release start N --shadow` first")
    s3 = client("s3")
    records = read_records(s3, ctx.resources.data_bucket, ctx.settings.release.prefix, rid)
    if not records:
        raise ReleaseRefused(f"release {rid} has no shadow records yet (a canary has none; a shadow writes them within ~30 s)")
    report = build_report(rid, records)
    json_key, html_key = write_report(s3, ctx.resources.data_bucket, ctx.settings.release.prefix, report)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    agreement = "–" if report.agreement_rate is None else f"{report.agreement_rate:.2%}"
    console.print(f"[bold]shadow report for release {rid}[/]: version {report.candidate_version} vs live {report.live_versions}")
    console.print(f"{report.requests} requests, {report.compared} instances compared; agreement {agreement}; "
                  f"|Δ| mean {report.mean_abs_delta if report.mean_abs_delta is not None else '–'} "
                  f"max {report.max_abs_delta if report.max_abs_delta is not None else '–'}")
    for role in ("live", "candidate"):
        p = report.latency_ms[role]
        console.print(f"latency {role}: p50 {p['p50']} ms, p99 {p['p99']} ms")
    console.print(f"candidate errors: {report.errors}; past the deadline: {report.past_deadline}")
    console.print(f"written to s3://{ctx.resources.data_bucket}/{json_key} and .../{html_key.rsplit('/', 1)[-1]}")


def register(app: typer.Typer) -> None:
    app.add_typer(release_app, name="release")



