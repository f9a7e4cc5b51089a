"""A deliberately broken model for the demo's rollback chapter: it fails at predict time for a share of inputs.

:class:`FaultyModel` wraps a fitted scikit-learn pipeline and raises for rows whose
content hashes into the failing share, the way a model with a bug on some category or
range would: offline evaluation (run before wrapping) looks fine, live traffic does
not. It lives in an importable module so the bundle's pickle loads wherever
``lightship`` is installed. Used by :mod:`lightship.demo.rollback_chapter` only.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np


class ModelDefect(RuntimeError):
    """What the faulty model raises: the serving app answers 500 and counts a prediction failure."""


class FaultyModel:
    def __init__(self, pipeline: Any, failure_share: float) -> None:
        if not 0.0 <= failure_share <= 1.0:
            raise ValueError("failure_share must be between 0 and 1")
        self.pipeline = pipeline
        self.failure_share = failure_share

    @property
    def classes_(self) -> Any:
        return self.pipeline.classes_

    def fails_on(self, row: np.ndarray) -> bool:
        """Deterministic per row: the same input always fails or always works."""
        return (zlib.crc32(repr(list(row)).encode()) % 1000) < self.failure_share * 1000

    def _check(self, rows: np.ndarray) -> None:
        for index, row in enumerate(rows):
            if self.fails_on(row):
                raise ModelDefect(f"row {index}: feature transform produced NaN (simulated defect)")

    def predict_proba(self, rows: np.ndarray) -> Any:
        self._check(rows)
        return self.pipeline.predict_proba(rows)

    def predict(self, rows: np.ndarray) -> Any:
        self._check(rows)
        return self.pipeline.predict(rows)
