"""``lightship models list``, ``lightship models show N``, ``lightship approve N``, ``lightship reject N --reason``."""

from __future__ import annotations

import json

import typer

from lightship.cli.console import aws_context, console
from lightship.present.versions import version_summary, versions_table
from lightship.deployment.record import DeploymentRecord
from lightship.registry.lineage import who_am_i
from lightship.registry.model_registry import ModelRegistry

models_app = typer.Typer(help="Model versions in the registry.", no_args_is_help=True)


def _registry() -> tuple[ModelRegistry, DeploymentRecord]:
    ctx = aws_context()
    registry = ModelRegistry(ctx.settings, ctx.client("sagemaker"), ctx.client("s3"), ctx.resources.artifact_bucket)
    return registry, DeploymentRecord(ctx.client("dynamodb"), ctx.resources.deployment_table)


@models_app.command("list")
def list_versions(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table")) -> None:
    """Versions, newest first, with status, key metrics, lineage and which one is live."""
    registry, record = _registry()
    versions = registry.versions()
    live = record.live()
    live_version = live.version if live else None
    if as_json:
        rows = [
            {
                "version": v.version,
                "status": v.status,
                "live": v.version == live_version,
                "metrics": v.metrics,
                "runtime": v.runtime,
                "runtime_reason": v.runtime_reason,
                "lineage": v.lineage,
                "approval_description": v.approval_description,
                "model_data_url": v.model_data_url,
            }
            for v in versions
        ]
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not versions:
        console.print(f"no versions in model package group {registry.group} yet: run lightship train")
        return
    console.print(versions_table(versions, live_version))


@models_app.command("show")
def show_version(
    version: int = typer.Argument(..., metavar="N", help="Version number"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables"),
) -> None:
    """Version N: status and why, metrics, and holdout metrics per segment with counts and intervals."""
    from lightship.cli.version_detail import version_detail
    from lightship.settings import load_settings

    registry, record = _registry()
    found = registry.version(version)
    live = record.live()
    if as_json:
        typer.echo(json.dumps({
            "version": found.version, "status": found.status, "live": bool(live and live.version == found.version),
            "approval_description": found.approval_description, "metrics": found.metrics,
            "segments": found.evaluation.get("segments"), "evaluation_uri": found.evaluation_uri,
        }, indent=2, default=str))
        return
    console.print(version_detail(found, load_settings().gate, live.version if live else None))


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")

    @app.command("approve")
    def approve(version: int = typer.Argument(..., metavar="N", help="Version number"), reason: str = typer.Option("approved by hand", "--reason")) -> None:
        """Approve version N (records who and why)."""
        registry, _ = _registry()
        updated = registry.approve(version, reason, who_am_i(registry_sts()))
        console.print(version_summary(updated))
        console.print(updated.approval_description)

    @app.command("reject")
    def reject(version: int = typer.Argument(..., metavar="N", help="Version number"), reason: str = typer.Option(..., "--reason", help="Why")) -> None:
        """Reject version N with a recorded reason."""
        registry, _ = _registry()
        updated = registry.reject(version, reason, who_am_i(registry_sts()))
        console.print(version_summary(updated))
        console.print(updated.approval_description)


def registry_sts() -> object:
    from lightship.clients import client

    return client("sts")
