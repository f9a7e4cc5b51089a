"""How ``lightship models show N`` lays out one version: status, why, metrics, and segment metrics.

Segment rows carry their count, each metric with its interval, and how far the gate metric
trails the overall (the figure :mod:`lightship.registry.segment_check` judges).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lightship.registry.gate import metric_for
from lightship.registry.model_registry import ModelVersion
from lightship.registry.segment_check import gap
from lightship.settings import GateSettings

SHOWN = {"classification": ("roc_auc", "accuracy", "f1_macro"), "regression": ("r2", "rmse", "mae")}


def interval_text(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None:
        return "-"
    ci = metric.get("ci")
    value = f"{float(metric['value']):.4f}"
    return f"{value} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else value


def segment_tables(version: ModelVersion, gate: GateSettings) -> list[Table]:
    segments = version.evaluation.get("segments")
    if not segments:
        return []
    name, _ = metric_for(version.task, gate)
    overall = version.metrics.get(name)
    shown = tuple(dict.fromkeys((name, *SHOWN.get(version.task, ()))))
    confidence = float(segments.get("confidence", 0.95))
    tables = []
    for column, rows in segments.get("by_column", {}).items():
        table = Table(title=f"Segments by {column} (holdout; {confidence:.0%} intervals)", caption_justify="left")
        table.add_column(column, overflow="fold")
        table.add_column("rows", justify="right", no_wrap=True)
        if version.task == "classification":
            table.add_column("positives", justify="right", no_wrap=True)
        for metric in shown:
            table.add_column(metric, no_wrap=True)
        table.add_column(f"{name} gap", justify="right", no_wrap=True)
        for seg in rows:
            metrics = seg.get("metrics", {})
            value = metrics.get(name, {}).get("value")
            trail = gap(name, float(value), float(overall)) if value is not None and overall is not None else None
            small = int(seg.get("rows", 0)) < gate.min_segment_rows
            gap_text = Text("too small", style="yellow") if small else (
                Text("-") if trail is None else Text(f"{trail:+.4f}", style="red" if trail > gate.max_segment_gap else ""))
            cells: list[str | Text] = [str(seg["value"]), str(seg.get("rows", 0))]
            if version.task == "classification":
                cells.append(str(seg.get("positives", "-")))
            cells += [interval_text(metrics.get(m)) for m in shown]
            cells.append(gap_text)
            table.add_row(*cells)
        table.caption = (f"overall {name} {overall:.4f}; the gate holds a gap over {gate.max_segment_gap:.4f} "
                         f"or a segment under {gate.min_segment_rows} rows") if overall is not None else None
        tables.append(table)
    return tables


def version_detail(version: ModelVersion, gate: GateSettings, live_version: int | None) -> RenderableType:
    from lightship.present.versions import version_summary

    parts: list[RenderableType] = [version_summary(version) + ("  [bold green]LIVE[/]" if version.version == live_version else "")]
    if version.approval_description:
        parts.append(f"why: {version.approval_description}")
    data = version.evaluation.get("data", {})
    parts.append(f"holdout rows: {data.get('holdout_rows', '?')}; evaluation: {version.evaluation_uri or '-'}")
    tables = segment_tables(version, gate)
    if tables:
        parts.extend(tables)
    else:
        parts.append("no segment metrics: train with --segments col1,col2 (or the setting training.segments)")
    return Group(*parts)
