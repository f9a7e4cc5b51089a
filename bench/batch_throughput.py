"""Chunk scoring throughput through (emulated) S3 and awswrangler vs the bare local limit,
ONNX Runtime against scikit-learn on the same chunks, and the drift sketch's share of it.

Ours: the batch plan and then ``batch.score.score_chunk`` for every chunk, one after the
other (what the Map's Lambda invocations do), reading the input by row group from moto's
S3 (``lightship local up`` in its own process, as S3 is another machine on AWS), validating, scoring, sketching, and writing Parquet
scores with awswrangler. Bare: ``pd.read_parquet`` of the same file on local disk, the
pipeline's own input (``frame_to_rows``), ``predict_proba``, the same output columns,
``to_parquet`` on local disk. Rounds alternate, medians reported. The sketch's share is the
time spent in ``count_values`` (the binning of every feature and of the predictions)
divided by the time of the run; the share of ``wr.s3.to_parquet`` (upload to the emulator
included) says where the rest goes.

Ours runs twice per round on the same chunks: with the bundle's ONNX model (what
``batch.model.load_model`` gives a run) and with its scikit-learn pipeline (the fallback,
and what batch scored with before ONNX), so ``onnx_over_sklearn`` is the runtime's gain on
the whole chunk path (read, validate, predict, sketch, write). ``--model random_forest``
is where the runtime matters most.

    python bench/batch_throughput.py [--rows 1000000] [--rounds 2] [--chunk-rows 200000] [--model logistic]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import batch_support as support
import numpy as np
import pandas as pd

import batch.score as score_module
from batch.config import BatchConfig
from batch.plan import plan
from lightship.bundle.model_bundle import load_bundle
from lightship.clients import cached_client, client
from lightship.settings import load_settings
from lightship.training.features import frame_to_rows


def bare(path: Path, out: Path, bundle: object) -> int:
    data = pd.read_parquet(path)
    rows = frame_to_rows(data, bundle.schema)  # type: ignore[attr-defined]
    proba = bundle.pipeline.predict_proba(rows)  # type: ignore[attr-defined]
    classes = bundle.pipeline.classes_  # type: ignore[attr-defined]
    data["prediction"] = classes[np.argmax(proba, axis=1)]
    for j, cls in enumerate(classes):
        data[f"probability_{cls}"] = proba[:, j]
    data["model_version"] = np.int32(1)
    data["run_id"] = "bench"
    data.to_parquet(out, index=False)
    return len(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--model", default="logistic", choices=["logistic", "random_forest", "hist_gradient_boosting"])
    args = parser.parse_args()

    bundle, packed = support.trained_bundle(model=args.model)
    onnx_bundle = load_bundle(packed)  # what a batch run loads: ONNX when the bundle has it
    assert onnx_bundle.runtime == "onnx", onnx_bundle.fallback_reason
    by_runtime = {"onnx": onnx_bundle, "sklearn": bundle}
    data = support.frame(args.rows, seed=2).drop(columns=["target"])
    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp, support.ExternalEmulator() as emulator:
        resources = emulator.resources
        assert resources is not None
        local_in, local_out = Path(tmp) / "in.parquet", Path(tmp) / "out.parquet"
        body = support.parquet_bytes(data)
        local_in.write_bytes(body)
        s3 = client("s3")
        s3.put_object(Bucket=resources.artifact_bucket, Key="bench/model.tar.gz", Body=packed)
        run = support.run_context(resources.data_bucket, resources.artifact_bucket, "bench/model.tar.gz")
        s3.put_object(Bucket=resources.data_bucket, Key=run.input_uri.split("/", 3)[3] + "data.parquet", Body=body)
        config = BatchConfig.from_settings(settings.model_copy(update={"batch": settings.batch.model_copy(update={"chunk_rows": args.chunk_rows})}),
                                           resources)

        sketch_seconds = [0.0]
        original = score_module.count_values

        def timed(*a: object, **k: object) -> object:
            started = time.perf_counter()
            try:
                return original(*a, **k)  # type: ignore[arg-type]
            finally:
                sketch_seconds[0] += time.perf_counter() - started

        score_module.count_values = timed  # type: ignore[assignment]
        write_seconds = [0.0]
        original_write = score_module.wr.s3.to_parquet

        def timed_write(*a: object, **k: object) -> object:
            started = time.perf_counter()
            try:
                return original_write(*a, **k)
            finally:
                write_seconds[0] += time.perf_counter() - started

        score_module.wr.s3.to_parquet = timed_write  # type: ignore[assignment]
        original_load = score_module.load_model
        ours: dict[str, list[float]] = {"onnx": [], "sklearn": []}
        base, shares, writes = [], [], []
        for round_number in range(args.rounds):
            order = list(by_runtime.items())
            for runtime, chosen in order if round_number % 2 == 0 else order[::-1]:  # same chunks; who goes first alternates
                score_module.load_model = lambda s3, url, chosen=chosen: chosen  # type: ignore[misc]
                sketch_seconds[0] = write_seconds[0] = 0.0
                started = time.perf_counter()
                planned = plan(cached_client("s3"), run, config)
                scored = sum(score_module.score_chunk(cached_client("s3"), run, c).rows_scored for c in planned.chunks)
                elapsed = time.perf_counter() - started
                assert scored == args.rows, scored
                ours[runtime].append(args.rows / elapsed)
                if runtime == "onnx":
                    shares.append(sketch_seconds[0] / elapsed)
                    writes.append(write_seconds[0] / elapsed)

            started = time.perf_counter()
            assert bare(local_in, local_out, bundle) == args.rows
            base.append(args.rows / (time.perf_counter() - started))
        score_module.count_values = original  # type: ignore[assignment]
        score_module.load_model = original_load  # type: ignore[assignment]
        score_module.wr.s3.to_parquet = original_write  # type: ignore[assignment]

    result = {
        "model": args.model, "rows": args.rows, "features": 20, "chunk_rows": args.chunk_rows, "chunks": planned.chunk_count,
        "rounds": args.rounds,
        "ours_onnx_rows_per_s": round(support.describe(ours["onnx"])),
        "ours_sklearn_rows_per_s": round(support.describe(ours["sklearn"])),
        "onnx_over_sklearn": round(support.describe(ours["onnx"]) / support.describe(ours["sklearn"]), 3),
        "bare_sklearn_rows_per_s": round(support.describe(base)),
        "ratio_onnx_over_bare": round(support.describe(ours["onnx"]) / support.describe(base), 3),
        "sketch_share_of_run": round(support.describe(shares), 4),
        "awswrangler_write_share_of_run": round(support.describe(writes), 3),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
