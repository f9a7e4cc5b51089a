"""``lightship drift --reference A --current B``: the batch run's drift statistics for any two data sets.

A and B are CSV/Parquet files or folders, local or ``s3://``. Writes the report as JSON
and self-contained HTML; ``--fail-on-drift`` exits 3 when a feature drifts (for CI).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lightship.cli.console import console
from lightship.settings import load_settings

if TYPE_CHECKING:
    from lightship.drift.report import DriftReport

DRIFT_EXIT_CODE = 3


def register(app: typer.Typer) -> None:
    @app.command("drift")
    def drift(
        reference: str = typer.Option(..., "--reference", help="Reference data: file or folder, local or s3://"),
        current: str = typer.Option(..., "--current", help="Current data: file or folder, local or s3://"),
        report: Path = typer.Option(Path("drift-report"), "--report", help="Writes REPORT.json and REPORT.html"),
        fail_on_drift: bool = typer.Option(False, "--fail-on-drift", help=f"Exit {DRIFT_EXIT_CODE} when any feature drifts"),
    ) -> None:
        """PSI, KS and chi-squared per feature, verdicts on the configured thresholds, and a report."""
        from lightship.clients import client
        from lightship.drift.compare import compare_data  # pandas and scipy: imported only when drift runs
        from lightship.drift.limits import DriftLimits
        from lightship.drift.report_html import render_html
        from lightship.s3uri import is_s3

        limits = DriftLimits.from_settings(load_settings())
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task(f"sketching {current}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total or None)

            s3 = client("s3") if is_s3(reference) or is_s3(current) else None
            result = compare_data(reference, current, limits.thresholds_for, bins=limits.bins, progress=advance, s3=s3)
        report.parent.mkdir(parents=True, exist_ok=True)
        json_path, html_path = report.with_suffix(".json"), report.with_suffix(".html")
        json_path.write_text(json.dumps(result.to_dict(), indent=1))
        html_path.write_text(render_html(result))
        console.print(drift_table(result))
        console.print(f"report: {html_path} and {json_path}")
        if fail_on_drift and result.alert:
            raise SystemExit(DRIFT_EXIT_CODE)  # main() turns it into the exit status


def drift_table(report: DriftReport) -> Table:
    table = Table(title=f"Drift: {report.current_rows:,} current rows vs {report.reference_rows:,} reference rows")
    for column in ("feature", "kind", "PSI", "KS D", "χ² p", "verdict"):
        table.add_column(column, justify="left" if column in ("feature", "kind", "verdict") else "right")
    for f in sorted(report.features, key=lambda f: (not f.drifted, -f.psi)):
        table.add_row(f.name, f.kind, f"{f.psi:.3f}", "–" if f.ks is None else f"{f.ks:.3f}", f"{f.chi2_p_value:.2g}",
                      "[red]drift[/]" if f.drifted else "[green]stable[/]")
    return table
