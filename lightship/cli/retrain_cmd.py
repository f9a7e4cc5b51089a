"""``lightship retrain [--reason "..."]``: start a retraining run by hand, and wait for its outcome.

The same start as a trigger's (:func:`lightship.retraining.start.start_run`): the ledger's lock,
then the retraining state machine (``infra/stacks/retraining.py``; locally the synthesized
definition on the emulator). A run under way, or the cool-down, is said in one line and recorded.
``lightship status`` lists the last runs (:func:`runs_table`).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from lightship.batch_run.execution import wait
from lightship.cli.console import aws_context, console
from lightship.clients import client
from lightship.errors import LightshipError
from lightship.registry.lineage import who_am_i
from lightship.retraining import ledger as ledger_mod
from lightship.retraining.ledger import Entry, RunLedger
from lightship.retraining.start import start_run
from lightship.retraining.triggers import by_person


def register(app: typer.Typer) -> None:
    @app.command("retrain")
    def retrain_command(
        reason: str = typer.Option("started by hand", "--reason", help="Why; kept in the run's history and the new version's lineage"),
        no_wait: bool = typer.Option(False, "--no-wait", help="Start the run and return"),
    ) -> None:
        """Retrain the live version on its data plus the window's new labels; the gate and a canary decide the rest."""
        ctx = aws_context()
        sfn = client("stepfunctions")
        try:
            sfn.describe_state_machine(stateMachineArn=ctx.resources.state_machine_arn(ctx.resources.retraining_state_machine))
        except sfn.exceptions.StateMachineDoesNotExist as exc:
            raise LightshipError(f"no state machine {ctx.resources.retraining_state_machine}: deploy the retraining stack "
                                 f"(npx cdk deploy {ctx.resources.stack('retraining')}) or start the emulator (lightship local up)") from exc
        ledger = RunLedger(client("dynamodb"), ctx.resources.deployment_table)
        begun = start_run(ctx.settings, ctx.resources, ledger, sfn, by_person(reason, who_am_i(client("sts"))))
        if begun.outcome != ledger_mod.STARTED:
            raise LightshipError(f"no run started: {begun.reason}")
        console.print(f"[bold]retraining run {begun.run_id}[/] started ({reason})")
        if no_wait:
            return
        arn = ctx.resources.execution_arn(ctx.resources.retraining_state_machine, begun.run_id)
        with console.status(f"retraining run {begun.run_id}") as status:
            try:
                wait(sfn, arn, progress=lambda step: status.update(f"retraining run {begun.run_id}: {step}"), what="retraining run")
            except LightshipError:
                pass  # the ledger holds the reason, printed below
        entry = ledger.outcome_of(begun.run_id)
        if entry is None:
            raise LightshipError(f"retraining run {begun.run_id} ended without an outcome in the ledger")
        console.print(f"{entry.outcome}: {entry.reason}")
        if entry.outcome == ledger_mod.FAILED:
            raise SystemExit(1)


def runs_table(entries: list[Entry]) -> Table:
    table = Table(title="retraining (newest first)")
    for column in ("at", "run", "what", "outcome", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(e.at, e.run_id, e.kind, e.outcome, e.reason)
    return table


def recent_runs(ctx: Any, limit: int = 10) -> list[Entry]:
    from botocore.exceptions import ClientError

    try:
        return RunLedger(client("dynamodb"), ctx.resources.deployment_table).recent(limit)
    except ClientError:  # no table yet: nothing has run
        return []
