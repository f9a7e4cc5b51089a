"""What the CLI prints fits the terminal: the models table at 80 columns, progress lines without source locations."""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console

from lightship.cli.console import console, progress_line
from lightship.present.versions import versions_table
from lightship.registry.model_registry import ModelVersion


def _version(number: int, status: str, model: str, auc: float) -> ModelVersion:
    evaluation = {
        "model": model,
        "metrics": {"roc_auc": auc, "accuracy": 0.7312, "f1_macro": 0.6523, "log_loss": 0.5},
        "lineage": {"git": {"commit": "e05bee0c1234abcd", "dirty": True}, "data": {"sha256": "bb8006e0abcdef0123"}},
    }
    reason = f"gate: roc_auc {auc:.4f} does not beat champion v2 (0.7773) by at least 0.0100; waiting for a person"
    return ModelVersion(number, f"arn:{number}", status, datetime(2026, 12, 3, 11, 54), "", reason, "s3://b/k", "image", None, evaluation)


VERSIONS = [
    _version(3, "PendingManualApproval", "hist_gradient_boosting", 0.7536),
    _version(2, "Approved", "logistic", 0.7773),
    _version(1, "Approved", "random_forest", 0.7663),
]


def _render(width: int) -> str:
    out = Console(width=width, file=io.StringIO(), record=True)
    out.print(versions_table(VERSIONS, live_version=2))
    return out.export_text()


def test_models_table_at_80_columns_keeps_version_status_live_and_metric_of_every_row() -> None:
    text = _render(80)
    assert max(len(line) for line in text.splitlines()) <= 80
    rows = [line for line in text.splitlines() if line.startswith("│") and line[1:].strip()[:1].isdigit()]
    assert [row.split("│")[1].strip() for row in rows] == ["3", "2", "1"]
    assert [row.split("│")[2].strip() for row in rows] == ["PendingManualApproval", "Approved", "Approved"]
    assert "LIVE" in rows[1] and "LIVE" not in rows[0] + rows[2]
    for auc in ("roc_auc=0.7536", "roc_auc=0.7773", "roc_auc=0.7663"):
        assert auc in text
    assert "…" not in text  # nothing identifying is cut short
    assert "lightship models list --json" in text  # where the lineage columns went


def test_models_table_on_a_wide_terminal_also_shows_lineage() -> None:
    text = _render(160)
    assert "bb8006e0abcd" in text and "e05bee0c+dirty" in text and "2026-12-03 11:54" in text
    assert "roc_auc=0.7536" in text and "PendingManualApproval" in text


def test_progress_lines_carry_no_source_location() -> None:
    with console.capture() as captured:
        with progress_line("training") as update:
            update("starting training job job-1 on ml.m5.large")
    text = captured.get()
    assert "starting training job job-1 on ml.m5.large" in text
    assert ".py:" not in text
