"""``lightship deploy N [--reason]`` and ``lightship status``: promote a version, show the record.

Both only read the registry and read/write the deployment record; the serving function
picks the change up within its record TTL, no redeploy needed.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from lightship.cli.console import AwsContext, aws_context, console
from lightship.clients import client
from lightship.deployment.deploy import deploy
from lightship.deployment.record import Deployment, DeploymentRecord
from lightship.deployment.status import DeploymentStatus, deployment_status
from lightship.present.history import history_table
from lightship.registry.lineage import who_am_i
from lightship.registry.model_registry import ModelRegistry


def describe(entry: Deployment | None) -> str:
    if entry is None:
        return "none"
    return f"version {entry.version} ({entry.action} rev {entry.revision} at {entry.at} by {entry.by}: {entry.reason})"


def status_json(status: DeploymentStatus) -> dict[str, object]:
    def plain(entry: Deployment | None) -> dict[str, object] | None:
        if entry is None:
            return None
        data = dict(entry.__dict__)
        data["details"] = entry.details_dict
        return data

    return {"live": plain(status.live), "previous": plain(status.previous), "history": [plain(e) for e in status.history]}


def register(app: typer.Typer) -> None:
    @app.command("deploy")
    def deploy_command(
        version: int = typer.Argument(..., metavar="N", help="The Approved version to make live"),
        reason: str = typer.Option("deployed by hand", "--reason", help="Why; kept in the record's history"),
    ) -> None:
        """Make Approved version N live (writes the deployment record; serving follows within its TTL)."""
        ctx = aws_context()
        registry = ModelRegistry(ctx.settings, client("sagemaker"), client("s3"), ctx.resources.artifact_bucket)
        record = DeploymentRecord(client("dynamodb"), ctx.resources.deployment_table)
        outcome = deploy(registry, record, version, reason=reason, by=who_am_i(client("sts")))
        if not outcome.changed:
            console.print(f"version {version} is already live ({describe(outcome.deployment)}); nothing changed")
            return
        d = outcome.deployment
        was = f", replacing version {d.previous_version}" if d.previous_version is not None else ""
        console.print(f"[bold]version {d.version} is live[/] (revision {d.revision}{was})")
        if outcome.version.runtime != "onnx":
            # Deployed all the same: lightship serve, the emulator and batch fall back to scikit-learn.
            console.print(
                f"[yellow]warning: version {d.version} has no ONNX model ({outcome.version.runtime_reason}): "
                "the serving Lambda function cannot load it (its zip has no scikit-learn) and keeps the version it "
                "serves, counting ModelLoadFailures; retrain to convert it"
            )
        console.print(f"model data: {d.model_data_url}")
        console.print(
            f"serving picks it up within {ctx.settings.serving.record_ttl_seconds:g} s (record TTL); no redeploy needed"
        )

    @app.command("status")
    def status_command(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables"),
        limit: int = typer.Option(20, "--limit", help="How many history entries and retraining entries to show"),
    ) -> None:
        """The live version, the one before it, the record's history (deploys and rollbacks, with reasons), the last
        quality run and the last retraining triggers and outcomes."""
        ctx = aws_context()
        status = deployment_status(DeploymentRecord(client("dynamodb"), ctx.resources.deployment_table), limit=limit)
        quality = last_quality_run(ctx)
        from lightship.cli.retrain_cmd import recent_runs, runs_table

        runs = recent_runs(ctx, limit)
        if as_json:
            typer.echo(json.dumps({**status_json(status), "quality": quality, "retraining": [vars(e) for e in runs]},
                                  indent=2, default=str))
            return
        if status.live is None:  # the runs still show: one that found nothing to do, or failed, says why here
            console.print("nothing is live yet: lightship deploy N makes an Approved version live")
        else:
            console.print(f"[bold]live:[/] {describe(status.live)}")
            console.print(f"[bold]previous:[/] {describe(status.previous)}")
            console.print(history_table(status))
            console.print(f"[bold]last quality run:[/] {describe_quality(quality)}")
        if runs:
            console.print(runs_table(runs))


def last_quality_run(ctx: AwsContext) -> dict[str, Any] | None:
    """The last quality report's summary (date, versions, breach, report address), or None before the first run."""
    from botocore.exceptions import ClientError

    from lightship.cli.quality_cmd import last_report

    q = ctx.settings.quality
    try:
        report = last_report(client("s3"), ctx.resources.data_bucket, q.report_prefix)
    except ClientError:  # no data bucket yet: nothing has run
        return None
    if report is None:
        return None
    from lightship.quality.store import report_dated

    key = report_dated(q.report_prefix, report["date"]) + "report.json"
    return {
        "date": report["date"],
        "versions": [{"version": v["version"], "role": v["role"], "metric": v["primary_metric"],
                      "realized": (v["realized"].get(v["primary_metric"]) or {}).get("value"), "labeled": v["labeled"],
                      "verdict": v["verdict"]} for v in report["versions"]],
        "breach": report["breach"],
        "estimated_breach": report["estimated_breach"],
        "report": f"s3://{ctx.resources.data_bucket}/{key}",
    }


def describe_quality(quality: dict[str, Any] | None) -> str:
    if quality is None:
        return "none yet (lightship quality run)"
    versions = ", ".join(f"v{v['version']} {v['role']} {v['metric']} "
                         + ("–" if v["realized"] is None else f"{v['realized']:.3f}") + f" on {v['labeled']:,} labels ({v['verdict']})"
                         for v in quality["versions"]) or "no predictions in the window"
    verdict = "[red]BREACH[/]" if quality["breach"] else ("[yellow]estimated breach[/]" if quality["estimated_breach"] else "no breach")
    return f"{quality['date']}: {verdict}; {versions}; report {quality['report']}"
