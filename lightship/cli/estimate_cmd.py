"""``lightship estimate --rps R --batch-rows N``: monthly cost and the limit that binds first, on paper.

The arithmetic is :func:`lightship.estimate.estimate`; this module prints it (a rich table, or
``--format json``). docs/estimate.md explains every line.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from lightship.cli.console import console
from lightship.errors import LightshipError
from lightship.settings import load_settings


def _usd(value: float | None) -> str:
    if value is None:
        return "-"
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.6f}"


def register(app: typer.Typer) -> None:
    @app.command("estimate")
    def estimate_cmd(
        rps: float = typer.Option(..., "--rps", help="Sustained online requests per second"),
        batch_rows: int = typer.Option(0, "--batch-rows", help="Rows one daily batch run scores"),
        instances: int = typer.Option(1, "--instances-per-request", help="Instances in one request body"),
        output: str = typer.Option("table", "--format", help="table or json"),
    ) -> None:
        """Monthly cost (serving, monitoring, batch) and which limit binds first, from settings' prices and quotas."""
        from lightship.estimate import Load, estimate

        if output not in ("table", "json"):
            raise LightshipError(f"--format {output}: choose table or json")
        result = estimate(load_settings(), Load(rps=rps, batch_rows=batch_rows, instances_per_request=instances))
        if output == "json":
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        costs = Table(title=f"Monthly cost at {rps:g} requests/s and {batch_rows:,} batch rows a day", caption_justify="left")
        for name, justify in (("part", "left"), ("item", "left"), ("quantity", "right"), ("unit", "left"), ("USD", "right")):
            costs.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for line in result.lines:
            costs.add_row(line.part, line.item, f"{line.quantity:,.1f}", line.unit, _usd(line.usd) + (" /run" if line.part == "batch" else ""))
        costs.caption = (
            f"serving + monitoring {_usd(result.serving_monthly)}/month = {_usd(result.per_million_predictions)} per million predictions; "
            f"batch {_usd(result.per_batch_day)} per run ({result.chunks} chunks, {result.map_mode} Map, "
            f"{result.transitions.total(result.chunks):,} transitions), {_usd(result.batch_monthly)}/month; "
            f"total {_usd(result.monthly_total)}/month.\n"
            f"SageMaker for the same online load: real-time {_usd(result.sagemaker['realtime']['monthly_usd'])}/month "
            f"({result.sagemaker['realtime']['instances']} instances), serverless {_usd(result.sagemaker['serverless']['monthly_usd'])}/month. "
            "Prices and quotas: settings estimate.* (lightship config), each with its source and date."
        )
        limits = Table(title="Limits, highest utilization first", caption_justify="left")
        for name in ("limit", "demand", "allowed", "unit", "use", "source"):
            limits.add_column(name, overflow="fold", justify="right" if name in ("demand", "allowed", "use") else "left")
        for limit in sorted(result.limits, key=lambda item: item.utilization, reverse=True):
            style = "red" if limit.utilization > 1 else ""
            limits.add_row(limit.name, f"{limit.demand:,.1f}", f"{limit.limit:,.0f}", limit.unit, f"[{style}]{limit.utilization:.0%}[/]" if style else f"{limit.utilization:.0%}", limit.source)
        binding = result.binding
        limits.caption = (f"binds first: {binding.name} ({binding.demand:,.1f} of {binding.limit:,.0f} {binding.unit})"
                          + ("; the load does not fit as configured" if binding.utilization > 1 else ""))
        console.print(costs)
        console.print(limits)
