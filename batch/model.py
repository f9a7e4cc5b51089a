"""The model bundle a run scores with, loaded once per process (a warm Lambda keeps it).

Fetched by :func:`lightship.bundle.fetch.fetch_bundle` with the S3 client the caller passes in.
"""

from __future__ import annotations

import threading
from typing import Any

from lightship.bundle.fetch import fetch_bundle
from lightship.bundle.model_bundle import ModelBundle

_lock = threading.Lock()
_cache: dict[str, ModelBundle] = {}


def load_model(s3: Any, model_data_url: str) -> ModelBundle:
    """The bundle at ``model_data_url`` (``s3://.../model.tar.gz``), from cache after the first call."""
    with _lock:
        cached = _cache.get(model_data_url)
        if cached is not None:
            return cached
    bundle = fetch_bundle(s3, model_data_url)
    with _lock:
        _cache[model_data_url] = bundle
    return bundle
