"""The model bundle a run scores with, loaded once per process (a warm Lambda keeps it)."""

from __future__ import annotations

import threading

from batch.s3io import get_bytes
from lightship.bundle.model_bundle import ModelBundle, load_bundle

_lock = threading.Lock()
_cache: dict[str, ModelBundle] = {}


def load_model(model_data_url: str) -> ModelBundle:
    """The bundle at ``model_data_url`` (``s3://.../model.tar.gz``), from cache after the first call."""
    with _lock:
        cached = _cache.get(model_data_url)
        if cached is not None:
            return cached
    bundle = load_bundle(get_bytes(model_data_url))
    with _lock:
        _cache[model_data_url] = bundle
    return bundle
