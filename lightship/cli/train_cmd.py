"""``lightship train``: validate, upload, run the SageMaker training job, register, gate.

pandas and scikit-learn are imported inside the command, so that every other command
(and a usage mistake) starts without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, cast

import typer
from typer._click.exceptions import MissingParameter

from lightship.cli.console import aws_context, console, progress_line
from lightship.errors import LightshipError
from lightship.s3uri import is_s3
from lightship.settings import MODEL_NAMES, load_settings

if TYPE_CHECKING:
    from lightship.bundle.schema import Task



def register(app: typer.Typer) -> None:
    @app.command("train")
    def train(
        ctx_: typer.Context,
        data: str = typer.Option(None, "--data", help="A local CSV/Parquet file or folder, or an s3:// address"),
        target: str = typer.Option(None, "--target", help="The column to predict"),
        model: str = typer.Option(None, "--model", help=f"One of {', '.join(MODEL_NAMES)} (default from config)"),
        param: Optional[list[str]] = typer.Option(None, "--param", help="Estimator parameter key=value; repeatable"),
        task: str = typer.Option(None, "--task", help="classification or regression (default: inferred from the target)"),
        seed: int = typer.Option(None, "--seed", help="Random seed (default from config)"),
        verify: int = typer.Option(None, "--verify", metavar="N",
                                   help="Re-run version N's training from its lineage, register nothing, record whether it matched"),
        segments: str = typer.Option(None, "--segments", help="Columns to report holdout metrics per value of, comma-separated (default: training.segments)"),
    ) -> None:
        """Train a model on SageMaker (or the local emulator), register it, and run the quality gate."""
        if verify is not None:
            _verify(verify)
            return
        for name, value in (("data", data), ("target", target)):
            if value is None:  # required unless --verify: the same message click gives a required option
                param = next(p for p in ctx_.command.params if p.name == name)
                raise MissingParameter(ctx=ctx_, param=param)
        from lightship.present.versions import version_summary
        from lightship.clients import client
        from lightship.training.data import load_training_data
        from lightship.training.models import check_params, parse_params
        from lightship.training.segments import check_segment_columns, parse_segments
        from lightship.training.workflow import AwsClients, TrainRequest, train_and_register

        settings = load_settings()
        chosen = model or settings.training.default_model
        if chosen not in MODEL_NAMES:
            raise LightshipError(f"--model {chosen}: choose one of {', '.join(MODEL_NAMES)}")
        if task not in (None, "classification", "regression"):
            raise LightshipError(f"--task {task}: choose classification or regression")
        chosen_task = cast("Task | None", task)
        params = parse_params(param or [])
        segment_columns = parse_segments(segments) if segments is not None else list(settings.training.segments)
        # Everything that can be checked here fails before any AWS call: the parameters, a local file.
        if is_s3(data):
            check_params(chosen, params, chosen_task)
        else:
            checked = load_training_data(Path(data), target, chosen_task)
            check_params(chosen, params, checked.task)
            check_segment_columns(checked.frame, target, segment_columns)
        ctx = aws_context(settings)
        request = TrainRequest(data=data, target=target, model=chosen, params=params, task=chosen_task, seed=seed,
                               segments=tuple(segment_columns))
        clients = AwsClients(s3=client("s3"), sagemaker=client("sagemaker"), sts=client("sts"))
        with progress_line(f"training {chosen} on {data}") as update:
            outcome = train_and_register(request, ctx.settings, ctx.resources, clients, progress=update)
        console.print(version_summary(outcome.version))
        console.print(outcome.decision.reason)


def _verify(version: int) -> None:
    """``lightship train --verify N``: lightship.checklist.reproducibility."""
    from lightship.checklist.reproducibility import verify
    from lightship.clients import client
    from lightship.training.workflow import AwsClients

    ctx = aws_context(load_settings())
    clients = AwsClients(s3=client("s3"), sagemaker=client("sagemaker"), sts=client("sts"))
    with progress_line(f"verifying version {version}") as update:
        outcome = verify(version, ctx.settings, ctx.resources, clients, progress=update)
    record = outcome.record
    for check in record["checks"]:
        console.print(f"  {check['name']}: {'same' if check['passed'] else 'DIFFERENT'}")
    verdict = "matched" if record["matched"] else "did not match"
    console.print(f"version {version}'s re-run {verdict} (code: {record['code']['source']}); recorded at {outcome.uri}")
    if not record["matched"]:
        raise typer.Exit(1)
