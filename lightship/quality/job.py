"""One quality run: read the window's predictions and labels, join, measure per version, report, alarm metrics.

:func:`measure` is pure (frames in, report dict out: tested without AWS); :func:`run_quality` does
the I/O around it: S3 reads, the report (JSON + HTML) to ``quality/reports/date=D/``, and CloudWatch
metrics by version and role. The quality state machine's function (``lambdas/quality``) and
``lightship quality run`` call :func:`run_quality`. The run for date D reads predictions and labels
dated ``D - window_days + 1 .. D``: a label landed days after its prediction is joined by every run
whose window holds both, and a rerun of D over the same objects writes the same report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lightship import observability as names
from lightship.quality import calibration, cbpe, metrics, store
from lightship.quality import labels as labels_mod
from lightship.quality import predictions as predictions_mod
from lightship.quality.join import join
from lightship.settings import QualitySettings

ROLE_PREVIOUS = "previous"  # a version neither live nor a release's candidate now
REALIZED_METRICS = {"roc_auc": names.REALIZED_ROC_AUC, "accuracy": names.REALIZED_ACCURACY, "log_loss": names.REALIZED_LOG_LOSS,
                    "brier": names.REALIZED_BRIER, "rmse": names.REALIZED_RMSE, "mae": names.REALIZED_MAE, "r2": names.REALIZED_R2}
ESTIMATED_METRICS = {"roc_auc": names.ESTIMATED_ROC_AUC, "accuracy": names.ESTIMATED_ACCURACY}


@dataclass(frozen=True)
class VersionInfo:
    """What the quality run needs of a version: from the registry and the version's bundle."""

    task: str
    classes: list[str]
    holdout: dict[str, float]
    calibration: dict[str, Any] | None


def measure(date: str, predictions: pd.DataFrame, landed: pd.DataFrame, info: Callable[[int], VersionInfo],
            roles: dict[int, str], quality: QualitySettings) -> dict[str, Any]:
    joined = join(predictions, landed)
    versions = sorted(set(joined.labeled["model_version"]).union(joined.unlabeled["model_version"]))
    reports = [_version(int(v), joined.labeled, joined.unlabeled, info(int(v)), roles.get(int(v), ROLE_PREVIOUS), quality)
               for v in versions]
    window = store.window_dates(date, quality.window_days)
    live = [r for r in reports if r["role"] == names.ROLE_LIVE]
    breach = any(r["breach"] for r in live)
    estimated_breach = any(r["estimated_breach"] for r in live)
    report = {
        "date": date,
        "window": {"first": window[0], "last": window[-1], "days": quality.window_days},
        "settings": {"min_labels": quality.min_labels, "tolerance": quality.tolerance,
                     "estimate_tolerance": quality.estimate_tolerance, "on_breach": quality.on_breach,
                     "confidence": quality.confidence},
        "predictions": int(len(predictions)),
        "labels": int(len(landed)),
        "joined": int(len(joined.labeled)),
        "duplicate_predictions": joined.duplicate_predictions,
        "duplicate_labels": joined.duplicate_labels,
        "unmatched_labels": joined.unmatched_labels,
        "versions": reports,
        "breach": breach,
        "estimated_breach": estimated_breach,
    }
    report["alert"] = breach or estimated_breach
    report["subject"], report["message"] = _message(report)
    return report


def _version(version: int, labeled: pd.DataFrame, unlabeled: pd.DataFrame, info: VersionInfo, role: str,
             quality: QualitySettings) -> dict[str, Any]:
    mine = labeled[labeled["model_version"] == version]
    waiting = unlabeled[unlabeled["model_version"] == version]
    primary = metrics.PRIMARY[info.task]
    out: dict[str, Any] = {"version": version, "role": role, "task": info.task, "primary_metric": primary,
                           "labeled": int(len(mine)), "unlabeled": int(len(waiting)),
                           "holdout": {k: info.holdout.get(k) for k in ("roc_auc", "accuracy", "log_loss", "rmse", "mae", "r2")
                                       if k in info.holdout}}
    if info.task == "classification":
        columns = [f"probability_{c}" for c in info.classes]
        realized: dict[str, Any] = (metrics.classification(mine["label"].astype(str).to_numpy(), mine[columns].to_numpy(dtype=float),
                                           info.classes, quality.confidence) if len(mine) else {"rows": 0})
        out["estimated"] = {"labeled": _estimate(mine, info), "unlabeled": _estimate(waiting, info)}
    else:
        realized = (metrics.regression(mine["label"].to_numpy(dtype=float), mine["prediction"].to_numpy(dtype=float),
                                       quality.confidence) if len(mine) else {"rows": 0})
        out["estimated"] = None  # no estimate for regression (docs/quality.md says why)
    out["realized"] = realized
    primary_metric = realized.get(primary)
    value = primary_metric.get("value") if isinstance(primary_metric, dict) else None
    enough = len(mine) >= quality.min_labels
    out["breach"] = bool(enough and metrics.breached(primary, value, info.holdout.get(primary), quality.tolerance))
    estimate = (out["estimated"] or {}).get("unlabeled") or {}
    out["estimated_breach"] = bool(len(waiting) >= quality.min_labels and metrics.breached(
        primary, estimate.get(primary), info.holdout.get(primary), quality.estimate_tolerance))
    out["verdict"] = ("below holdout" if out["breach"] else "ok") if enough else f"too few labels (< {quality.min_labels})"
    return out


def _estimate(rows: pd.DataFrame, info: VersionInfo) -> dict[str, Any] | None:
    """CBPE on ``rows`` (binary classifiers with a calibrator only)."""
    if len(info.classes) != 2 or info.calibration is None:
        return None
    scores = rows[f"probability_{info.classes[1]}"].to_numpy(dtype=float)
    calibrated = calibration.calibrate(info.calibration, scores)
    return cbpe.estimate(scores, calibrated, rows["prediction"].astype(str).to_numpy() == str(info.classes[1]))


def _message(report: dict[str, Any]) -> tuple[str, str]:
    lines = []
    for v in report["versions"]:
        realized = v["realized"].get(v["primary_metric"]) or {}
        estimate = ((v.get("estimated") or {}).get("unlabeled") or {}).get(v["primary_metric"])
        lines.append(f"version {v['version']} ({v['role']}): {v['primary_metric']} realized "
                     f"{_fmt(realized.get('value'))} on {v['labeled']} labels, estimated {_fmt(estimate)} on {v['unlabeled']} "
                     f"unlabelled, holdout {_fmt(v['holdout'].get(v['primary_metric']))}: {v['verdict']}")
    what = "realized quality of the live version below its holdout" if report["breach"] else (
        "estimated quality of the live version below its holdout" if report["estimated_breach"] else "quality as expected")
    return f"Lightship quality {report['date']}: {what}"[:99], "\n".join([what, *lines])


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def metric_data(report: dict[str, Any], when: dt.datetime) -> list[dict[str, Any]]:
    """CloudWatch datapoints: realized/estimated metrics per {Role, ModelVersion}; breaches per {Role}."""
    data = []

    def point(name: str, value: float, dims: dict[str, str], unit: str = "None") -> None:
        data.append({"MetricName": name, "Value": float(value), "Unit": unit, "Timestamp": when,
                     "Dimensions": [{"Name": "service", "Value": names.SERVICE_QUALITY},
                                    *({"Name": k, "Value": v} for k, v in dims.items())]})

    for v in report["versions"]:
        dims = {names.DIMENSION_ROLE: v["role"], names.DIMENSION_MODEL_VERSION: str(v["version"])}
        point(names.LABELED_PREDICTIONS, v["labeled"], dims, "Count")
        point(names.UNLABELED_PREDICTIONS, v["unlabeled"], dims, "Count")
        for key, name in REALIZED_METRICS.items():
            value = (v["realized"].get(key) or {}).get("value") if isinstance(v["realized"].get(key), dict) else None
            if value is not None:
                point(name, value, dims)
        for key, name in ESTIMATED_METRICS.items():
            value = ((v.get("estimated") or {}).get("unlabeled") or {}).get(key)
            if value is not None:
                point(name, value, dims)
    for role in sorted({v["role"] for v in report["versions"]} | {names.ROLE_LIVE}):
        of_role = [v for v in report["versions"] if v["role"] == role]
        point(names.QUALITY_BREACH, float(any(v["breach"] for v in of_role)), {names.DIMENSION_ROLE: role})
        point(names.ESTIMATED_QUALITY_BREACH, float(any(v["estimated_breach"] for v in of_role)), {names.DIMENSION_ROLE: role})
    return data


def run_quality(date: str, *, s3: Any, cloudwatch: Any | None, bucket: str, capture_prefix: str, batch_prefix: str,
                batch_id_column: str | None, quality: QualitySettings, info: Callable[[int], VersionInfo],
                roles: dict[int, str], now: dt.datetime | None = None) -> dict[str, Any]:
    from lightship.quality.report_html import render_html

    window = store.window_dates(date, quality.window_days)
    predictions = predictions_mod.read_window(s3, bucket, capture_prefix=capture_prefix, batch_prefix=batch_prefix,
                                              dates=window, id_column=batch_id_column, classes_for=lambda v: info(v).classes)
    landed = labels_mod.landed_labels(s3, bucket, quality.labels_prefix, window)
    report = measure(date, predictions, landed, info, roles, quality)
    prefix = store.report_dated(quality.report_prefix, date)
    store.put(s3, bucket, prefix + "report.json", json.dumps(report, indent=1, default=_default).encode(), "application/json")
    store.put(s3, bucket, prefix + "report.html", render_html(report).encode(), "text/html; charset=utf-8")
    if cloudwatch is not None:
        data = metric_data(report, now or dt.datetime.now(dt.UTC))
        for start in range(0, len(data), 500):
            cloudwatch.put_metric_data(Namespace=names.NAMESPACE, MetricData=data[start:start + 500])
    report["report_uri"] = f"s3://{bucket}/{prefix}report.json"
    return report


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
