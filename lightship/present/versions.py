"""How model versions are shown (``lightship models list``, ``train`` and the demo): a one-line summary and the table.

``lightship models list`` and the demo print :func:`versions_table`; the table is laid
out for the width it is printed at, so an 80-column terminal keeps what identifies a
version (number, status, live, metrics) and leaves the lineage columns out.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table

from lightship.registry.model_registry import ModelVersion

KEY_METRICS = ("roc_auc", "accuracy", "f1_macro", "r2", "rmse", "mae")
# Below this width the lineage columns (data hash, commit, created) are left out: they
# would squeeze the identifying columns to nothing (an 80-column terminal lost them all).
LINEAGE_MIN_WIDTH = 120
LINEAGE_HINT = "data sha256, commit and creation time: lightship models list --json, or a wider terminal"


def metric_text(version: ModelVersion) -> str:
    metrics = version.metrics
    return ", ".join(f"{k}={metrics[k]:.4f}" for k in KEY_METRICS if k in metrics) or "-"


def version_summary(version: ModelVersion) -> str:
    return f"[bold]version {version.version}[/] {version.status}: {version.evaluation.get('model', '?')} {metric_text(version)}"


@dataclass
class VersionsTable:
    """A renderable: the table rich lays out at the width it is printed at."""

    versions: list[ModelVersion]
    live_version: int | None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def table(self, width: int) -> Table:
        with_lineage = width >= LINEAGE_MIN_WIDTH
        table = Table(title="Model versions", caption_justify="left")
        # The identifying columns never shrink below their content; the metrics wrap instead.
        table.add_column("ver", no_wrap=True, justify="right", min_width=3)
        table.add_column("status", no_wrap=True, min_width=max((len(v.status) for v in self.versions), default=6))
        table.add_column("live", no_wrap=True, min_width=4)
        table.add_column("model", overflow="fold")
        table.add_column("runtime", no_wrap=True)
        table.add_column("metrics", overflow="fold", min_width=16, ratio=1)
        if with_lineage:
            table.add_column("data sha256", no_wrap=True)
            table.add_column("commit", no_wrap=True)
            table.add_column("created", no_wrap=True)
        for v in self.versions:
            row = [
                str(v.version),
                v.status,
                "LIVE" if v.version == self.live_version else "",
                str(v.evaluation.get("model", "?")),
                v.runtime,
                metric_text(v),
            ]
            if with_lineage:
                git = v.lineage.get("git", {})
                commit = str(git.get("commit", "?"))[:8] + ("+dirty" if git.get("dirty") else "")
                row += [str(v.lineage.get("data", {}).get("sha256", "?"))[:12], commit, v.created.strftime("%Y-%m-%d %H:%M")]
            table.add_row(*row)
        notes = [f"v{v.version}: {v.approval_description}" for v in self.versions if v.approval_description]
        notes += [f"v{v.version} runs on scikit-learn: {v.runtime_reason}" for v in self.versions if v.runtime != "onnx"]
        if not with_lineage and self.versions:
            notes.append(LINEAGE_HINT)
        table.caption = "\n".join(notes)
        return table


def versions_table(versions: list[ModelVersion], live_version: int | None) -> VersionsTable:
    """One row per version; the why (approval descriptions) goes in the caption, one line each."""
    return VersionsTable(list(versions), live_version)
