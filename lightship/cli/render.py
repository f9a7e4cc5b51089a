"""How the CLI shows model versions: a one-line summary and the ``models list`` table."""

from __future__ import annotations

from rich.table import Table

from lightship.registry.model_registry import ModelVersion

KEY_METRICS = ("roc_auc", "accuracy", "f1_macro", "r2", "rmse")


def metric_text(version: ModelVersion) -> str:
    metrics = version.metrics
    return ", ".join(f"{k}={metrics[k]:.4f}" for k in KEY_METRICS if k in metrics) or "-"


def version_summary(version: ModelVersion) -> str:
    return f"[bold]version {version.version}[/] {version.status}: {version.evaluation.get('model', '?')} {metric_text(version)}"


def versions_table(versions: list[ModelVersion], live_version: int | None) -> Table:
    table = Table(title="Model versions", show_lines=False)
    for column in ("ver", "status", "live", "model", "metrics", "data", "commit", "training job", "why"):
        table.add_column(column, overflow="fold")
    for v in versions:
        lineage = v.lineage
        git = lineage.get("git", {})
        commit = str(git.get("commit", "?"))[:10] + ("*" if git.get("dirty") else "")
        data = lineage.get("data", {})
        table.add_row(
            str(v.version),
            v.status,
            "LIVE" if v.version == live_version else "",
            str(v.evaluation.get("model", "?")),
            metric_text(v),
            f"{data.get('uri', '?')} (sha256 {str(data.get('sha256', '?'))[:12]})",
            commit,
            str(lineage.get("training_job", {}).get("name", "?")),
            v.approval_description,
        )
    return table
