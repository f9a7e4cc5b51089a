"""The deployment record's history as a table: ``lightship status`` and the demo's release and rollback chapters."""

from __future__ import annotations

from rich.table import Table

from lightship.deployment.status import DeploymentStatus


def history_table(status: DeploymentStatus) -> Table:
    table = Table(title="Deployment history (newest first)")
    for column in ("rev", "action", "version", "from", "when", "by", "why"):
        table.add_column(column, overflow="fold")
    for entry in status.history:
        marker = " (live)" if status.live and entry.revision == status.live.revision else ""
        table.add_row(
            f"{entry.revision}{marker}",
            entry.action,
            str(entry.version),
            "-" if entry.previous_version is None else str(entry.previous_version),
            entry.at,
            entry.by,
            entry.reason,
        )
    return table
