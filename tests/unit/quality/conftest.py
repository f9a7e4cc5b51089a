"""Synthetic worlds for the quality tests: calibrated binary scores, with and without concept drift."""

from __future__ import annotations

import numpy as np
import pandas as pd


def calibrated_world(n: int, seed: int, flip_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(positive-class scores, labels): labels drawn from the scores themselves (perfectly calibrated);
    ``flip_share`` of rows (those with the highest first feature: a segment) get the opposite label:
    concept drift, the scores unchanged."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(0.6, 0.6, size=n)
    labels = (rng.random(n) < scores).astype(int)
    if flip_share:
        segment = rng.random(n) < flip_share
        labels = np.where(segment, 1 - labels, labels)
    return scores, labels


def predictions_frame(scores: np.ndarray, version: int = 1, source: str = "capture", date: str = "2026-01-01",
                      prefix: str = "r") -> pd.DataFrame:
    return pd.DataFrame({
        "prediction_id": [f"{prefix}:{i}" for i in range(len(scores))],
        "model_version": version, "source": source, "date": date,
        "prediction": np.where(scores >= 0.5, "1", "0"),
        "probability_0": 1 - scores, "probability_1": scores,
    })
