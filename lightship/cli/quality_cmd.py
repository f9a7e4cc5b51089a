"""``lightship labels put FILE``, ``lightship quality [--version N]`` and ``lightship quality run [--date D]``.

Labels land under ``labels/date=D/`` with rejects beside them (docs/quality.md). ``quality run``
starts the quality state machine (infra/stacks/quality.py; on the emulator the synthesized
definition) and waits for it, then prints the report it wrote; ``quality`` alone (or ``quality show``)
prints the last report's realized and estimated metrics per version with their label counts.
Heavy imports (pandas, scikit-learn) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from lightship.cli.console import aws_context, console
from lightship.errors import LightshipError


def register(app: typer.Typer) -> None:
    labels_app = typer.Typer(help="Ground truth for the live model's predictions.", no_args_is_help=True)
    quality_app = typer.Typer(help="Realized and estimated model quality per version (alone: the last report's table).")
    app.add_typer(labels_app, name="labels")
    app.add_typer(quality_app, name="quality")

    @labels_app.command("put")
    def put(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV or Parquet: id, label"),
        date: str | None = typer.Option(None, "--date", help="Landing date YYYY-MM-DD (default today, UTC)"),
        no_id_check: bool = typer.Option(False, "--no-id-check", help="Skip the unknown-id check (reads the window's predictions)"),
    ) -> None:
        """Validate FILE and land it in S3; rejected rows go beside it with their reasons."""
        from lightship.quality import wiring

        day = _date(date)
        ctx = aws_context()
        result = wiring.put(ctx.settings, ctx.resources, file, day, check_ids=not no_id_check)
        console.print(f"{result.rows:,} rows: {result.accepted:,} accepted"
                      + (f" -> s3://{ctx.resources.data_bucket}/{result.labels_key}" if result.labels_key else ""))
        for reason, count in result.rejected_by_reason.items():
            console.print(f"  rejected {count:,}: {reason}")
        if result.rejects_key:
            console.print(f"rejects: s3://{ctx.resources.data_bucket}/{result.rejects_key}")

    @quality_app.callback(invoke_without_command=True)
    def quality(ctx: typer.Context,
                version: int | None = typer.Option(None, "--version", help="Only this model version")) -> None:
        """Realized and estimated model quality per version; alone, prints the last quality report's table."""
        if ctx.invoked_subcommand is None:
            _print_last(version, None)

    @quality_app.command("run")
    def run(date: str | None = typer.Option(None, "--date", help="Run for YYYY-MM-DD (default today, UTC)")) -> None:
        """Start the quality state machine for a date, wait for it, and print its report."""
        import datetime as dt

        from lightship.cli.console import progress_line
        from lightship.clients import client
        from lightship.quality import execution, store

        day = _date(date) or dt.datetime.now(dt.UTC).date().isoformat()
        ctx = aws_context()
        with progress_line(f"quality run for {day}") as update:
            done = execution.run(ctx.client("stepfunctions"), ctx.settings, ctx.resources, day, progress=lambda step: update(f"step {step}"))
        result = done.output["result"]
        key = store.report_dated(ctx.settings.quality.report_prefix, day) + "report.json"
        report = json.loads(store.get(client("s3"), ctx.resources.data_bucket, key))
        console.print(quality_table(report))
        console.print(result["message"].splitlines()[0] + ("; alert published" if result["alert"] else ""))
        console.print(f"report: {result['report_uri']} (and report.html) in {done.seconds:.1f} s")

    @quality_app.command("show")
    def show(version: int | None = typer.Option(None, "--version", help="Only this model version"),
             date: str | None = typer.Option(None, "--date", help="The run of YYYY-MM-DD (default the latest)")) -> None:
        """The last quality report: realized and estimated metrics per version, with label counts."""
        _print_last(version, _date(date))


def _print_last(version: int | None, day: str | None) -> None:
    from lightship.clients import client

    ctx = aws_context()
    report = last_report(client("s3"), ctx.resources.data_bucket, ctx.settings.quality.report_prefix, day)
    if report is None:
        raise LightshipError("no quality report yet: lightship quality run")
    if version is not None:
        report["versions"] = [v for v in report["versions"] if v["version"] == version]
        if not report["versions"]:
            raise LightshipError(f"version {version} has no predictions in the quality run of {report['date']}")
    console.print(quality_table(report))


def _date(value: str | None) -> str | None:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint="--date") from None


def last_report(s3: Any, bucket: str, prefix: str, date: str | None = None) -> dict[str, Any] | None:
    from lightship.quality import store

    keys = sorted(k for k in store.keys(s3, bucket, prefix.strip("/") + "/") if k.endswith("/report.json"))
    if date is not None:
        keys = [k for k in keys if f"date={date}/" in k]
    if not keys:
        return None
    report: dict[str, Any] = json.loads(store.get(s3, bucket, keys[-1]))
    return report


def quality_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"Quality {report['date']} (window {report['window']['first']} – {report['window']['last']})")
    for column in ("version", "role", "metric", "holdout", "realized [CI]", "labels", "estimated", "awaiting", "verdict"):
        table.add_column(column, justify="left" if column in ("role", "metric", "verdict") else "right")
    for v in report["versions"]:
        key = v["primary_metric"]
        realized = v["realized"].get(key) or {}
        ci = realized.get("ci")
        estimate = ((v.get("estimated") or {}).get("unlabeled") or {}).get(key)
        table.add_row(str(v["version"]), v["role"], key, _f(v["holdout"].get(key)),
                      _f(realized.get("value")) + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""),
                      f"{v['labeled']:,}", _f(estimate), f"{v['unlabeled']:,}",
                      f"[red]{v['verdict']}[/]" if v["breach"] else v["verdict"])
    return table


def _f(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"
