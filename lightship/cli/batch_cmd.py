"""``lightship batch run``: run the batch state machine for a date and wait for it.

The same call on AWS and on the emulator (``lightship local up`` in another shell, or the
demo): a Step Functions execution of the state machine the batch stack defines. When it
ends, the manifest says what happened: rows in, scored, rejected by reason, outputs,
quarantined files, the drift verdict and where the report is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer
from rich.table import Table

from batch import execution
from batch.events import RunRequest
from batch.s3io import get_json
from lightship.cli.console import aws_context, console, progress_line
from lightship.errors import LightshipError

batch_app = typer.Typer(help="Batch scoring into S3 with drift checks (Step Functions).", no_args_is_help=True)


@batch_app.command("run")
def run(
    date: str = typer.Option(..., "--date", help="The day to score, YYYY-MM-DD (its input partition date=YYYY-MM-DD)"),
    input: str = typer.Option(None, "--input", help="s3:// prefix of the input files (default: the batch input prefix)"),
    output: str = typer.Option(None, "--output", help="s3:// prefix for the scores (default: the batch output prefix)"),
) -> None:
    """Score a day's files with the live model, write Parquet, rejects, manifest and a drift report."""
    try:
        day = dt.date.fromisoformat(date)
    except ValueError as exc:
        raise LightshipError(f"--date {date}: not a date; use YYYY-MM-DD") from exc
    try:
        request = RunRequest(date=day, input=input, output=output)
    except ValueError as exc:
        raise LightshipError(str(exc).splitlines()[-1].strip()) from exc
    ctx = aws_context()
    sfn = ctx.client("stepfunctions")
    arn = ctx.resources.state_machine_arn(ctx.resources.batch_state_machine)
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
    except sfn.exceptions.StateMachineDoesNotExist as exc:
        raise LightshipError(
            f"no state machine {ctx.resources.batch_state_machine}: deploy the batch stack "
            f"(npx cdk deploy {ctx.resources.stack('batch')}) or start the emulator (lightship local up)"
        ) from exc
    with progress_line(f"batch run for {date}") as update:
        execution_arn = execution.start(sfn, arn, request)
        update(f"started {execution_arn.rsplit(':', 1)[-1]}")
        done = execution.wait(sfn, execution_arn, progress=lambda step: update(f"step {step}"))
    result = done.output.get("result", {})
    manifest = get_json(ctx.client("s3"), result["manifest_uri"])
    console.print(summary(manifest, result, done.seconds))
    if manifest["status"] == "empty":
        raise LightshipError(f"nothing scored: no input files under {manifest['input']['prefix']}")


def summary(manifest: dict[str, Any], result: dict[str, Any], seconds: float) -> Table:
    rows = manifest["rows"]
    table = Table(title=f"Batch run {manifest['run_id']} ({manifest['date']}, model v{manifest['model']['version']}) in {seconds:.1f} s",
                  show_header=False)
    table.add_column("what")
    table.add_column("", overflow="fold")
    table.add_row("rows", f"in {rows['in']:,} = scored {rows['scored']:,} + rejected {rows['rejected']:,}")
    for reason, n in rows["rejected_by_reason"].items():
        table.add_row("  rejected", f"{n:,}: {reason}")
    table.add_row("input files", f"{len(manifest['input']['objects'])} under {manifest['input']['prefix']}")
    for problem in manifest["problems"]:
        table.add_row("  problem", problem)
    table.add_row("outputs", f"{len(manifest['outputs'])} Parquet part(s)" + (f", e.g. {manifest['outputs'][0]}" if manifest["outputs"] else ""))
    if manifest["rejects"]:
        table.add_row("rejects", ", ".join(manifest["rejects"]))
    drift = manifest.get("drift")
    if drift is not None:
        verdict = f"[red]drift in {', '.join(drift['drifted_features'] + (['prediction'] if drift['prediction_drifted'] else []))}[/]" \
            if drift["alert"] else "[green]no drift over threshold[/]"
        table.add_row("drift", f"{verdict} (max PSI {drift['max_psi']:.3f})" + ("; alert published" if result.get("alert") else ""))
        table.add_row("report", f"{manifest['report']['html']}")
    estimated = manifest.get("estimated_quality")
    if estimated:
        figures = ", ".join(f"{name} {estimated[key]:.3f}" for key, name in (("roc_auc", "ROC AUC"), ("accuracy", "accuracy"))
                            if estimated.get(key) is not None)
        table.add_row("estimated quality", f"{figures or '–'} (CBPE on {estimated['rows']:,} scores, no labels)")
    table.add_row("manifest", result["manifest_uri"])
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
