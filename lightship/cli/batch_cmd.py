"""``lightship batch run``: run the batch state machine for a date and wait for it.

The same call on AWS and on the emulator (``lightship local up`` in another shell, or the
demo): a Step Functions execution of the state machine the batch stack defines. When it
ends, the manifest says what happened: rows in, scored, rejected by reason, outputs,
quarantined files, the drift verdict and where the report is.
"""

from __future__ import annotations

import datetime as dt

import typer

from lightship.batch_run import execution
from lightship.batch_run.request import RunRequest
from lightship.cli.console import aws_context, console, progress_line
from lightship.errors import LightshipError
from lightship.present.batch_run import summary
from lightship.s3io import get_json

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


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
