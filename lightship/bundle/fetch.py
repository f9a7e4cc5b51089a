"""Fetching a packed bundle (``model.tar.gz``) from S3: the one place a bundle is read from its address.

Training reads the bundle its job wrote (:func:`lightship.training.workflow.finished_run`), serving
loads the version the record names (:class:`lightship.serving.model_holder.S3BundleLoader`), batch
scoring loads the run's model (:mod:`batch.model`), and retraining and the reproducibility check load
the champion with its scikit-learn pipeline. The S3 client is passed in; only the bundle format and
the address parser are imported, so the serving cold start stays lean.
"""

from __future__ import annotations

from typing import Any

from lightship.bundle.model_bundle import ModelBundle, RuntimeChoice, load_bundle
from lightship.s3uri import S3Uri


def fetch_bundle_bytes(s3: Any, model_data_url: str) -> bytes:
    """The packed bundle at ``model_data_url`` (``s3://bucket/.../model.tar.gz``), as bytes."""
    location = S3Uri.parse(model_data_url)
    return bytes(s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read())


def fetch_bundle(s3: Any, model_data_url: str, runtime: RuntimeChoice = "auto") -> ModelBundle:
    """The bundle at ``model_data_url``, loaded (checksums and versions checked by :func:`load_bundle`)."""
    return load_bundle(fetch_bundle_bytes(s3, model_data_url), runtime)
