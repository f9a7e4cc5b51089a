"""Peak memory of a chunk scorer is set by the chunk size, not the data size.

For two input sizes (same 20 features, same ``chunk_rows``), a fresh process plans the
input on (emulated) S3 and scores every chunk with ``batch.score.score_chunk``, as the
Map's Lambda invocations do; it reports its peak RSS. For contrast, another fresh process
reads the whole file with awswrangler and scores it at once. The emulator runs in its own
process (``lightship local up``), so the objects it holds are not counted.

    python bench/batch_memory.py [--sizes 500000,2000000] [--chunk-rows 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import batch_support as support


def child(mode: str, uri: str, model_uri: str, chunk_rows: int) -> dict[str, float]:
    import awswrangler as wr
    import numpy as np

    from batch.config import BatchConfig
    from batch.model import load_model
    from batch.plan import plan
    from batch.score import score_chunk, score_frame
    from lightship.clients import cached_client
    from lightship.resources import current_resources
    from lightship.settings import load_settings

    bundle = load_model(cached_client("s3"), model_uri)
    bucket = uri.split("/")[2]
    run = support.run_context(bucket, model_uri.split("/")[2], model_uri.split("/", 3)[3], name=Path(uri).parent.name)
    ready = support.peak_rss_mb()
    if mode == "chunks":
        settings = load_settings()
        config = BatchConfig.from_settings(settings.model_copy(update={"batch": settings.batch.model_copy(update={"chunk_rows": chunk_rows})}),
                                           current_resources(settings))
        planned = plan(cached_client("s3"), run, config)
        rows = sum(score_chunk(cached_client("s3"), run, c).rows_scored for c in planned.chunks)
    else:
        data = wr.s3.read_parquet(uri)
        result = score_frame(data, bundle, 1, "whole")
        wr.s3.to_parquet(result.scored, path=f"s3://{bucket}/bench/whole/out.parquet", index=False)
        rows = int(np.int64(len(result.scored)))
    return {"rows": rows, "rss_after_imports_and_model_mb": round(ready), "peak_rss_mb": round(support.peak_rss_mb())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500000,2000000")
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "URI", "MODEL"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, chunk_rows=args.chunk_rows)))
        return

    from lightship.clients import client

    _, packed = support.trained_bundle()
    results = []
    with support.ExternalEmulator() as emulator:
        s3 = client("s3")
        bucket, artifacts = emulator.resources.data_bucket, emulator.resources.artifact_bucket
        s3.put_object(Bucket=artifacts, Key="bench/model.tar.gz", Body=packed)
        model_uri = f"s3://{artifacts}/bench/model.tar.gz"
        for size in (int(s) for s in args.sizes.split(",")):
            name = f"rows{size}"
            body = support.parquet_bytes(support.frame(size, seed=3).drop(columns=["target"]))
            key = f"bench/input/{name}/data.parquet"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            del body
            for mode in ("chunks", "whole"):
                out = subprocess.run(
                    [sys.executable, __file__, "--chunk-rows", str(args.chunk_rows), "--child", mode, f"s3://{bucket}/{key}", model_uri],
                    capture_output=True, text=True, env={**os.environ, **emulator.environment}, check=True,
                )
                measured = json.loads(out.stdout.strip().splitlines()[-1])
                results.append({"rows": size, "mode": mode, "chunk_rows": args.chunk_rows if mode == "chunks" else None, **measured})
                print(json.dumps(results[-1]), flush=True)
            s3.delete_object(Bucket=bucket, Key=key)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
