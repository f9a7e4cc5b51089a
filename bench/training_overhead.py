"""What running ``train.py`` through SageMaker's training toolkit costs per job, against running
the script directly with the same variables (what the emulator did before it used the toolkit).

Both run the same small job (logistic regression on 500 rows of the customers data) on the same
``/opt/ml`` layout built by ``lightship.local.training_compute.container_layout``; the toolkit
path is the emulator's own (``toolkit_env`` + ``python -m sagemaker_training.cli.train``), with
``sourcedir.tar.gz`` given as a local file so that no S3 is involved. Interleaved rounds, medians
of wall time and of the children's CPU time. Also timed alone: the toolkit's import and its
``pip install -r requirements.txt`` (offline, every pin already installed).

    .venv/bin/python bench/training_overhead.py --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from lightship.datasets import customers
from lightship.local.training_compute import container_layout, toolkit_env
from lightship.training.launcher import source_tarball


def _job(root: Path, hps: dict[str, Any]) -> Any:
    code = root / "sourcedir.tar.gz"
    code.write_bytes(source_tarball())
    encoded = {k: json.dumps(v) for k, v in hps.items()}
    encoded.update(sagemaker_program='"train.py"', sagemaker_submit_directory=json.dumps(str(code)))
    return SimpleNamespace(
        training_job_name="bench", arn="arn:aws:sagemaker:us-east-1:123456789012:training-job/bench", hyper_parameters=encoded,
        input_data_config=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}],
        resource_config={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _prepare(tmp: Path, name: str, hps: dict[str, Any], frame: Any) -> tuple[Path, Any]:
    root = tmp / name
    root.mkdir()
    job = _job(root, hps)
    base = root / "opt" / "ml"
    channels = container_layout(base, job)
    frame.to_csv(channels["train"] / "data.csv", index=False)
    return base, job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    frame = customers(rows=500, seed=1)
    hps = {"target": "churned", "model": "logistic", "C": 0.5, "seed": 1}
    where = {"endpoint_url": "http://127.0.0.1:9", "region": "us-east-1"}
    results: dict[str, list[tuple[float, float]]] = {"direct": [], "toolkit": [], "toolkit import": [], "pip install -r": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            base, job = _prepare(Path(tmp), f"direct{i}", hps, frame)
            code = base / "code"
            with tarfile.open(job.hyper_parameters["sagemaker_submit_directory"].strip('"')) as tar:
                tar.extractall(code, filter="data")
            env = {**toolkit_env(job, base, where), "SM_MODEL_DIR": str(base / "model"), "SM_OUTPUT_DIR": str(base / "output"),
                   "SM_OUTPUT_DATA_DIR": str(base / "output" / "data"), "SM_CHANNEL_TRAIN": str(base / "input" / "data" / "train")}
            argv = ["-C", "0.5", "--model", "logistic", "--seed", "1", "--target", "churned"]
            results["direct"].append(_timed([sys.executable, "train.py", *argv], code, env))

            base, job = _prepare(Path(tmp), f"toolkit{i}", hps, frame)
            results["toolkit"].append(_timed([sys.executable, "-m", "sagemaker_training.cli.train"], base, toolkit_env(job, base, where)))

            results["toolkit import"].append(_timed([sys.executable, "-c", "import sagemaker_training.trainer"], base, toolkit_env(job, base, where)))
            results["pip install -r"].append(_timed([sys.executable, "-m", "pip", "install", "-q", "-r", "requirements.txt"], base / "code", toolkit_env(job, base, where)))
    print(f"{'path':<16} {'wall s':>8} {'cpu s':>8}   (medians of {args.rounds}, load {os.getloadavg()[0]:.1f})")
    for name, runs in results.items():
        print(f"{name:<16} {statistics.median(w for w, _ in runs):8.2f} {statistics.median(c for _, c in runs):8.2f}")
    direct = statistics.median(w for w, _ in results["direct"])
    toolkit = statistics.median(w for w, _ in results["toolkit"])
    print(f"toolkit overhead per job: {toolkit - direct:.2f} s wall ({toolkit / direct:.2f}x the direct run)")


if __name__ == "__main__":
    main()
