"""The quality run and the labels put, wired from settings and clients (the Lambda handler and the CLI call these).

A version's task, classes, holdout metrics and calibrator come from the registry (its
evaluation report) and the version's bundle; its role from the deployment record now
(``live``, ``candidate`` during a release, else ``previous``).
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from lightship import observability as names
from lightship.clients import client
from lightship.deployment.record import DeploymentRecord
from lightship.quality import labels as labels_mod
from lightship.quality import predictions as predictions_mod
from lightship.quality import store
from lightship.quality.job import VersionInfo, run_quality
from lightship.resources import Resources
from lightship.settings import Settings


def version_info_reader(settings: Settings, resources: Resources) -> Any:
    from lightship.bundle.fetch import fetch_bundle
    from lightship.registry.model_registry import ModelRegistry

    registry = ModelRegistry(settings, client("sagemaker"), client("s3"), resources.artifact_bucket)

    @functools.cache
    def info(version: int) -> VersionInfo:
        described = registry.version(version)
        bundle = fetch_bundle(client("s3"), described.model_data_url)  # once per version: info is cached
        return VersionInfo(task=bundle.schema.task, classes=[str(c) for c in bundle.schema.classes],
                           holdout={k: float(v) for k, v in described.metrics.items() if isinstance(v, (int, float))},
                           calibration=bundle.calibration)

    return info


def current_roles(settings: Settings, resources: Resources) -> dict[int, str]:
    from lightship.deployment.release_state import Release

    live = DeploymentRecord(client("dynamodb"), resources.deployment_table).live()
    roles: dict[int, str] = {}
    if live is not None:
        roles[live.version] = names.ROLE_LIVE
        if live.release:
            roles.setdefault(Release.from_json(live.release).candidate_version, names.ROLE_CANDIDATE)
    return roles


def run(settings: Settings, resources: Resources, date: str | None = None) -> dict[str, Any]:
    """The quality run for ``date`` (default: today, UTC)."""
    day = date or dt.datetime.now(dt.UTC).date().isoformat()
    return run_quality(day, s3=client("s3"), cloudwatch=client("cloudwatch"), bucket=resources.data_bucket,
                       capture_prefix=settings.capture_prefix, batch_prefix=settings.batch_output_prefix,
                       batch_id_column=settings.batch.id_column, quality=settings.quality,
                       info=version_info_reader(settings, resources), roles=current_roles(settings, resources))


def put(settings: Settings, resources: Resources, path: Path, date: str | None = None, check_ids: bool = True) -> labels_mod.LabelsResult:
    """Validate ``path`` against the live version's classes and the window's prediction ids; land it."""
    day = date or dt.datetime.now(dt.UTC).date().isoformat()
    live = DeploymentRecord(client("dynamodb"), resources.deployment_table).live()
    if live is None:
        raise labels_mod.LabelsError("no model version is live: labels are checked against its classes (lightship deploy N)")
    info = version_info_reader(settings, resources)
    known = None
    if check_ids:
        window = store.window_dates(day, settings.quality.window_days)
        frame = predictions_mod.read_window(client("s3"), resources.data_bucket, capture_prefix=settings.capture_prefix,
                                            batch_prefix=settings.batch_output_prefix, dates=window,
                                            id_column=settings.batch.id_column, classes_for=lambda v: info(v).classes)
        known = set(frame["prediction_id"])
    live_info = info(live.version)
    q = settings.quality
    return labels_mod.put_labels(path, s3=client("s3"), bucket=resources.data_bucket, prefix=q.labels_prefix, date=day,
                                 id_column=q.id_column, label_column=q.label_column, task=live_info.task,
                                 classes=live_info.classes, known_ids=known, window_days=q.window_days)
