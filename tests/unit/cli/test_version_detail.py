"""``lightship models show N``'s layout: segment rows with counts, intervals and the gap the gate judges."""

from datetime import datetime, timezone

from rich.console import Console

from lightship.cli.version_detail import version_detail
from lightship.registry.model_registry import ModelVersion
from lightship.settings import GateSettings


def _version(evaluation: dict) -> ModelVersion:  # type: ignore[type-arg]
    return ModelVersion(7, "arn:v7", "PendingManualApproval", datetime(2026, 12, 3, tzinfo=timezone.utc), "",
                        "gate: held", "s3://m/model.tar.gz", "img", "s3://a/e.json", evaluation)


def _render(version: ModelVersion) -> str:
    console = Console(width=140, record=True)
    console.print(version_detail(version, GateSettings(max_segment_gap=0.05, min_segment_rows=30), live_version=None))
    return console.export_text()


def test_segment_rows_show_counts_intervals_and_gaps() -> None:
    segments = {"confidence": 0.9, "by_column": {"plan": [
        {"value": "basic", "rows": 120, "positives": 40, "metrics": {"roc_auc": {"value": 0.70, "ci": [0.61, 0.79]},
                                                                    "accuracy": {"value": 0.8, "ci": [0.72, 0.86]}}},
        {"value": "premium", "rows": 12, "positives": 3, "metrics": {"roc_auc": {"value": 0.95, "ci": None}}},
    ]}}
    text = _render(_version({"task": "classification", "model": "logistic", "metrics": {"roc_auc": 0.80}, "segments": segments}))
    assert "Segments by plan (holdout; 90% intervals)" in text
    basic = next(line for line in text.splitlines() if "basic" in line)
    assert "120" in basic and "40" in basic and "0.7000 [0.610, 0.790]" in basic and "0.8000 [0.720, 0.860]" in basic
    assert "+0.1000" in basic  # 0.80 overall - 0.70
    premium = next(line for line in text.splitlines() if "premium" in line)
    assert "too small" in premium and "0.9500" in premium
    assert "why: gate: held" in text


def test_a_version_without_segments_says_how_to_get_them() -> None:
    text = _render(_version({"task": "regression", "model": "logistic", "metrics": {"r2": 0.7}}))
    assert "no segment metrics: train with --segments" in text
