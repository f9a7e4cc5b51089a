"""``lightship checklist [--version N] [--format table|markdown|json]``: the go-live checklist for one version.

Answers each question from the system (lightship.checklist), writes the HTML model card to S3 and
records its address on the registry version; exits 1 when any answer is no (a CI release gate).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from lightship.cli.console import aws_context, console
from lightship.errors import LightshipError

FORMATS = ("table", "markdown", "json")


def register(app: typer.Typer) -> None:
    @app.command("checklist")
    def checklist(
        version: int | None = typer.Option(None, "--version", help="The version to answer for (default: the live one)"),
        output: str = typer.Option("table", "--format", help="table, markdown or json"),
        card_file: Path | None = typer.Option(None, "--card-file", exists=True, dir_okay=False, readable=True,
                                              help="A model_card.json (default: the one next to the training data)"),
        intended_use: str | None = typer.Option(None, "--intended-use", help="The card's intended use (wins over the file)"),
        limitations: str | None = typer.Option(None, "--limitations", help="The card's limitations (wins over the file)"),
        owner: str | None = typer.Option(None, "--owner", help="Who answers for the model (wins over the file)"),
    ) -> None:
        """Answer the go-live checklist for a version with evidence; write its model card; exit 1 on any 'no'."""
        from lightship.checklist import render
        from lightship.model_card import parse_card
        from lightship.checklist.evidence import Clients
        from lightship.checklist.run import run_checklist

        if output not in FORMATS:
            raise LightshipError(f"--format {output}: choose one of {', '.join(FORMATS)}")
        text = parse_card(card_file.read_bytes(), str(card_file)) if card_file else None
        ctx = aws_context()
        clients = Clients(s3=ctx.client("s3"), sagemaker=ctx.client("sagemaker"), dynamodb=ctx.client("dynamodb"),
                          cloudwatch=ctx.client("cloudwatch"))
        result = run_checklist(ctx.settings, ctx.resources, clients, version, text,
                               intended_use=intended_use, limitations=limitations, owner=owner)
        if output == "markdown":
            typer.echo(render.markdown(result.version, result.answers, result.card_uri))
        elif output == "json":
            typer.echo(json.dumps({"version": result.version, "card": result.card_uri,
                                   "answers": [a.to_dict() for a in result.answers]}, indent=2))
        else:
            console.print(render.table(result.version, result.answers, result.card_uri))
        raise typer.Exit(result.exit_code)
