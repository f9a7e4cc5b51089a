"""A batch run's manifest as a table: ``lightship batch run`` and the demo's batch chapter print it."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def summary(manifest: dict[str, Any], result: dict[str, Any], seconds: float) -> Table:
    rows = manifest["rows"]
    table = Table(title=f"Batch run {manifest['run_id']} ({manifest['date']}, model v{manifest['model']['version']}) in {seconds:.1f} s",
                  show_header=False)
    table.add_column("what")
    table.add_column("", overflow="fold")
    table.add_row("rows", f"in {rows['in']:,} = scored {rows['scored']:,} + rejected {rows['rejected']:,}")
    for reason, n in rows["rejected_by_reason"].items():
        table.add_row("  rejected", f"{n:,}: {reason}")
    table.add_row("input files", f"{len(manifest['input']['objects'])} under {manifest['input']['prefix']}")
    for problem in manifest["problems"]:
        table.add_row("  problem", problem)
    table.add_row("outputs", f"{len(manifest['outputs'])} Parquet part(s)" + (f", e.g. {manifest['outputs'][0]}" if manifest["outputs"] else ""))
    if manifest["rejects"]:
        table.add_row("rejects", ", ".join(manifest["rejects"]))
    drift = manifest.get("drift")
    if drift is not None:
        verdict = f"[red]drift in {', '.join(drift['drifted_features'] + (['prediction'] if drift['prediction_drifted'] else []))}[/]" \
            if drift["alert"] else "[green]no drift over threshold[/]"
        table.add_row("drift", f"{verdict} (max PSI {drift['max_psi']:.3f})" + ("; alert published" if result.get("alert") else ""))
        table.add_row("report", f"{manifest['report']['html']}")
    estimated = manifest.get("estimated_quality")
    if estimated:
        figures = ", ".join(f"{name} {estimated[key]:.3f}" for key, name in (("roc_auc", "ROC AUC"), ("accuracy", "accuracy"))
                            if estimated.get(key) is not None)
        table.add_row("estimated quality", f"{figures or '–'} (CBPE on {estimated['rows']:,} scores, no labels)")
    table.add_row("manifest", result["manifest_uri"])
    return table
