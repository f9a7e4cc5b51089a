"""Estimated quality of a batch run's scores before any label exists: CBPE on the day's scores.

Called by :mod:`batch.finalize` once the run's output parts are final. For a binary classifier
whose bundle ships a calibrator (``calibration.json``), it reads two columns of each part (the
positive-class probability and the prediction) and gives the expected ROC AUC and accuracy
(:mod:`lightship.quality.cbpe`). Otherwise (regression, multiclass, an older bundle) ``None``:
nothing is estimated, as in the quality run (docs/quality.md). Exact, not sketched: two float
columns of a million rows are 16 MB, well inside the finalize function's memory.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from lightship.quality import calibration, cbpe
from lightship.s3io import get_bytes


def estimate_scores(s3: Any, bundle: Any, outputs: list[str]) -> dict[str, Any] | None:
    classes = list(bundle.schema.classes)
    if bundle.schema.task != "classification" or len(classes) != 2 or bundle.calibration is None or not outputs:
        return None
    column = f"probability_{classes[1]}"
    parts = [pd.read_parquet(io.BytesIO(get_bytes(s3, uri)), columns=[column, "prediction"]) for uri in outputs]
    frame = pd.concat(parts, ignore_index=True)
    scores = frame[column].to_numpy(dtype=float)
    result = cbpe.estimate(scores, calibration.calibrate(bundle.calibration, scores),
                           frame["prediction"].astype(str).to_numpy() == str(classes[1]))
    return {**result, "method": "CBPE", "positive_class": str(classes[1]),
            "mean_calibrated_probability": float(np.mean(calibration.calibrate(bundle.calibration, scores)))}
