"""``lightship rollback [--to N] [--reason ...]``: what the rollback handler does on an alarm, by hand.

Puts the newest Approved version older than the live one back (or ``--to N``), writes
the record with action ``rollback`` and the reason, marks the version rolled back from
Rejected (``--keep-approved`` leaves it Approved), and tells the alerts topic. Same code
as the Lambda (:class:`lightship.rollback.rollback.Rollbacker`); ``lightship status``
shows the result in the history.
"""

from __future__ import annotations

import typer

from lightship.cli.console import aws_context, console
from lightship.clients import client
from lightship.deployment.record import DeploymentRecord
from lightship.registry.lineage import who_am_i
from lightship.registry.model_registry import ModelRegistry
from lightship.rollback.rollback import Rollbacker


def register(app: typer.Typer) -> None:
    @app.command("rollback")
    def rollback_command(
        to: int = typer.Option(None, "--to", help="The Approved version to put back (default: the newest Approved one older than live)"),
        reason: str = typer.Option("rolled back by hand", "--reason", help="Why; kept in the record's history and the rejection"),
        keep_approved: bool = typer.Option(False, "--keep-approved", help="Do not mark the version rolled back from Rejected"),
    ) -> None:
        """Roll the live model back to the previous Approved version (serving follows within its TTL)."""
        ctx = aws_context()
        rollbacker = Rollbacker(
            DeploymentRecord(client("dynamodb"), ctx.resources.deployment_table),
            ModelRegistry(ctx.settings, client("sagemaker"), client("s3"), ctx.resources.artifact_bucket),
            client("sns"),
            ctx.resources.alerts_topic_arn,
        )
        outcome = rollbacker.by_hand(to=to, reason=reason, by=who_am_i(client("sts")), reject=not keep_approved)
        console.print(f"[bold]version {outcome.to_version} is live again[/] (revision {outcome.revision}, rolled back from version {outcome.from_version})")
        if outcome.rejected:
            console.print(f"version {outcome.from_version} is now Rejected: {reason}")
        for note in outcome.notes:
            console.print(note)
        if not outcome.notified:
            console.print("[yellow]warning:[/] could not publish to the alerts topic (see the log above)")
        console.print(f"serving picks it up within {ctx.settings.serving.record_ttl_seconds:g} s (record TTL); no redeploy needed")
