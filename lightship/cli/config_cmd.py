"""``lightship config``: the resolved settings as JSON, the ones the stacks are built from."""

from __future__ import annotations

import json

import typer

from lightship.resources import current_resources, resolved_settings, resources_for
from lightship.settings import load_settings


def register(app: typer.Typer) -> None:
    @app.command("config")
    def config(account: str = typer.Option(None, help="Account to derive names for (default: the caller's)")) -> None:
        """Print the resolved settings (defaults <- cdk.json context <- LIGHTSHIP_* env) as JSON."""
        settings = load_settings()
        resources = resources_for(settings, account) if account else current_resources(settings)
        typer.echo(json.dumps(resolved_settings(settings, resources), indent=2, sort_keys=True))
