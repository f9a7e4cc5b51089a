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
    """One row per version; the why (approval descriptions) goes in the caption, one line each."""
    table = Table(title="Model versions", caption_justify="left")
    table.add_column("ver", no_wrap=True, justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("live", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("metrics")
    table.add_column("data sha256", no_wrap=True)
    table.add_column("commit", no_wrap=True)
    table.add_column("created", no_wrap=True)
    for v in versions:
        git = v.lineage.get("git", {})
        commit = str(git.get("commit", "?"))[:8] + ("+dirty" if git.get("dirty") else "")
        table.add_row(
            str(v.version),
            v.status,
            "LIVE" if v.version == live_version else "",
            str(v.evaluation.get("model", "?")),
            metric_text(v),
            str(v.lineage.get("data", {}).get("sha256", "?"))[:12],
            commit,
            v.created.strftime("%Y-%m-%d %H:%M"),
        )
    table.caption = "\n".join(f"v{v.version}: {v.approval_description}" for v in versions if v.approval_description)
    return table
