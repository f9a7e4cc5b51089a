"""Wiring: the serving runtime and app from settings and boto3 clients.

The Lambda entry point (``lambdas/serving/handler.py``), ``lightship serve``, the demo
and the tests build the app here, so they all run the same code. Names come from
:mod:`lightship.resources`: in Lambda the stack passes them as ``LIGHTSHIP_*``
environment variables (``LIGHTSHIP_DEPLOYMENT_TABLE``, ``LIGHTSHIP_DATA_BUCKET`` ...);
locally they derive from ``cdk.json`` and the account, as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from lightship import observability as names
from lightship.bundle.row_contract import RowPolicy
from lightship.clients import client
from lightship.deployment.record import DeploymentRecord
from lightship.resources import Resources, current_resources
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.capture import CaptureWriter
from lightship.serving.flusher import BackgroundFlusher
from lightship.serving.logs import logger
from lightship.serving.metrics import ServingMetrics, Sink
from lightship.serving.model_holder import LiveModel, LoadFailure, ModelHolder, S3BundleLoader
from lightship.serving.shadow import ShadowLog, ShadowScorer
from lightship.settings import Settings, load_settings

CAPTURE_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class ServingNames:
    deployment_table: str
    capture_bucket: str
    capture_prefix: str


def serving_names(settings: Settings, resources: Resources) -> ServingNames:
    """What the app reads and writes: the names from ``resources`` (lightship.resources), the prefix from ``settings``."""
    return ServingNames(resources.deployment_table, resources.data_bucket, settings.capture_prefix)


def announce_fallback(model: LiveModel, metrics: ServingMetrics) -> None:
    """A live model served by scikit-learn rather than ONNX Runtime: a warning with the reason, and a metric."""
    if model.bundle.runtime == "onnx":
        return
    # Slower, and it unpickles: whoever runs the service should know, and see it on a graph.
    logger.warning(
        "serving with scikit-learn, not ONNX Runtime",
        extra={"version": model.version, "reason": model.bundle.fallback_reason},
    )
    metrics.count(names.SKLEARN_FALLBACKS, model.version)


@dataclass
class Serving:
    """A built app with the parts a caller may want to look at or flush."""

    app: FastAPI
    runtime: ServingRuntime
    flusher: BackgroundFlusher
    settings: Settings

    def after_restore(self) -> None:
        """SnapStart restored this process from a snapshot taken at publish time: the record may have
        changed since, and every restored copy shares the snapshot's random state."""
        self.runtime.holder.expire()
        if self.runtime.capture is not None:
            self.runtime.capture.reseed()
        if self.runtime.shadow is not None:
            self.runtime.shadow.reseed()

    def close(self) -> None:
        """Write what capture still buffers and stop its thread."""
        self.flusher.stop()


def build_serving(
    settings: Settings | None = None,
    *,
    names_: ServingNames | None = None,
    dynamodb: Any = None,
    s3: Any = None,
    metric_sinks: list[Sink] | None = None,
    load_now: bool = True,
) -> Serving:
    """The app against the record and buckets ``settings`` name (EMF lines to ``metric_sinks``, stdout by default)."""
    settings = settings or load_settings()
    resolved = names_ or serving_names(settings, current_resources(settings))
    serving = settings.serving
    s3 = s3 or client("s3")
    metrics = ServingMetrics(sinks=metric_sinks)

    def on_failure(failure: LoadFailure) -> None:
        logger.error(
            "could not load the live model; still serving the previous one" if failure.role == names.ROLE_LIVE
            else "could not load the release candidate; the live version answers every request",
            extra={"role": failure.role, "version": failure.version, "model_data_url": failure.model_data_url, "error": failure.error},
        )
        metrics.count(names.MODEL_LOAD_FAILURES, failure.version, role=failure.role)

    def on_loaded(new: LiveModel, old: LiveModel | None) -> None:
        logger.info(
            "live model loaded",
            extra={"version": new.version, "revision": new.deployment.revision, "replaced": old.version if old else None,
                   "load_seconds": round(new.load_seconds, 3), "runtime": new.bundle.runtime},
        )
        announce_fallback(new, metrics)

    holder = ModelHolder(
        DeploymentRecord(dynamodb or client("dynamodb"), resolved.deployment_table),
        S3BundleLoader(s3),
        ttl_seconds=serving.record_ttl_seconds,
        max_instances=serving.max_instances,
        policy=RowPolicy(**settings.rows.model_dump()),
        on_load_failure=on_failure,
        on_loaded=on_loaded,
    )
    capture = None
    if serving.capture_sample_rate > 0:
        capture = CaptureWriter(s3, resolved.capture_bucket, resolved.capture_prefix, serving.capture_sample_rate)
    shadow_log = ShadowLog(s3, resolved.capture_bucket, settings.release.prefix)
    shadow = ShadowScorer(metrics, shadow_log, settings.release.shadow_deadline_ms / 1000.0)
    runtime = ServingRuntime(holder, metrics, capture, serving.max_body_bytes, serving.max_instances, shadow, serving.id_field)
    flusher = BackgroundFlusher(CAPTURE_CHECK_SECONDS, wake=capture.wake if capture else None)
    if capture is not None:
        flusher.add(capture.due, capture.flush)
    flusher.add(shadow_log.due, shadow_log.flush)
    flusher.start()
    if load_now:
        holder.refresh()
    return Serving(app=create_app(runtime), runtime=runtime, flusher=flusher, settings=settings)
