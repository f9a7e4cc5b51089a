"""Quality run throughput: join + metrics for N predictions and their labels read from (emulated) S3,
against a bare pandas merge + scikit-learn metrics on local disk, in the same run.

Ours: ``lightship.quality.job.run_quality`` for one date, as the quality function runs it: list and read
the window's batch score parts and landed labels from moto's S3 (``lightship local up`` in its own
process: S3 is another machine on AWS), the deterministic join, realized metrics with their intervals,
the calibration table, CBPE on the labelled rows, the JSON + HTML report written back to S3
(CloudWatch left out). Bare: ``pd.read_parquet`` of the same files on local disk, one ``merge`` on the
id, scikit-learn's ROC AUC, accuracy, log loss and Brier score. Rounds alternate, medians reported.
The data: N binary predictions with calibrated scores, every one labelled, in 5 score parts and 5
label files of one day.

    python bench/quality_join.py [--rows 1000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import batch_support as support
import numpy as np
import pandas as pd
from sklearn import metrics as skm

from lightship.clients import client
from lightship.quality.job import VersionInfo, run_quality
from lightship.settings import QualitySettings

DATE = "2026-11-20"
PARTS = 5
CALIBRATION = {"method": "platt", "a": 1.0, "b": 0.0, "positive_class": "1", "rows": 1000}


def world(rows: int) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    rng = np.random.default_rng(3)
    scores = rng.beta(0.6, 0.6, size=rows)
    labels = (rng.random(rows) < scores).astype(int)
    source_row = np.arange(rows)
    uri = f"s3://bench/batch/input/date={DATE}/day.parquet"
    preds = pd.DataFrame({"source_uri": uri, "source_row": source_row, "model_version": np.int32(1),
                          "prediction": np.where(scores >= 0.5, 1, 0), "probability_0": 1 - scores, "probability_1": scores})
    truth = pd.DataFrame({"prediction_id": [f"{uri}:{i}" for i in source_row], "label": labels.astype(str)})
    order = rng.permutation(rows)  # labels arrive in another order than the predictions
    cuts = np.array_split(np.arange(rows), PARTS)
    return [preds.iloc[c].reset_index(drop=True) for c in cuts], [truth.iloc[order[c]].reset_index(drop=True) for c in cuts]


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def bare(folder: Path) -> tuple[int, float]:
    preds = pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("scores-*.parquet"))], ignore_index=True)
    labels = pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("labels-*.parquet"))], ignore_index=True)
    preds["prediction_id"] = preds["source_uri"] + ":" + preds["source_row"].astype(str)
    joined = preds.merge(labels, on="prediction_id")
    y = joined["label"].astype(int).to_numpy()
    p = joined["probability_1"].to_numpy()
    auc = skm.roc_auc_score(y, p)
    skm.accuracy_score(y, joined["prediction"].to_numpy())
    skm.log_loss(y, np.c_[1 - p, p])
    skm.brier_score_loss(y, p)
    return len(joined), float(auc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    score_parts, label_parts = world(args.rows)
    quality = QualitySettings(window_days=30, min_labels=200)
    info = VersionInfo(task="classification", classes=["0", "1"], holdout={"roc_auc": 0.8, "accuracy": 0.75}, calibration=CALIBRATION)

    with tempfile.TemporaryDirectory() as tmp, support.ExternalEmulator() as emulator:
        folder = Path(tmp)
        bucket = emulator.resources.data_bucket
        s3 = client("s3")
        for i, (scores, labels) in enumerate(zip(score_parts, label_parts, strict=True)):
            s3.put_object(Bucket=bucket, Key=f"batch/output/date={DATE}/part-{i}.parquet", Body=parquet(scores))
            s3.put_object(Bucket=bucket, Key=f"{quality.labels_prefix}/date={DATE}/labels-{i}.parquet", Body=parquet(labels))
            scores.to_parquet(folder / f"scores-{i}.parquet", index=False)
            labels.to_parquet(folder / f"labels-{i}.parquet", index=False)
        ours, base, aucs = [], [], {}
        for _ in range(args.rounds):
            started = time.perf_counter()
            report = run_quality(DATE, s3=s3, cloudwatch=None, bucket=bucket, capture_prefix="capture", batch_prefix="batch/output",
                                 batch_id_column=None, quality=quality, info=lambda v: info, roles={1: "live"})
            ours.append(args.rows / (time.perf_counter() - started))
            [version] = report["versions"]
            assert version["labeled"] == args.rows, version["labeled"]
            aucs["ours"] = version["realized"]["roc_auc"]["value"]
            started = time.perf_counter()
            joined, aucs["bare"] = bare(folder)
            base.append(args.rows / (time.perf_counter() - started))
            assert joined == args.rows
    assert abs(aucs["ours"] - aucs["bare"]) < 1e-9, aucs  # the same figure both ways
    print(json.dumps({
        "rows": args.rows, "rounds": args.rounds,
        "ours_rows_per_s": round(support.describe(ours)), "bare_rows_per_s": round(support.describe(base)),
        "ratio": round(support.describe(ours) / support.describe(base), 3), "roc_auc": round(aucs["ours"], 6),
        "peak_rss_mb": round(support.peak_rss_mb()),
    }, indent=1))


if __name__ == "__main__":
    main()
