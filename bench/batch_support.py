"""Shared pieces of the batch benchmarks: a 20-feature data set of any size, a bundle trained on
it, and a batch run context on the emulator (model uploaded, input uploaded, plan made).

The data: ``make_classification`` with 18 numeric features and 2 categorical ones (numbers
quantized into labels), so validation, the pipeline's encoders and both kinds of sketch run.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one Lambda vCPU's worth, and fair to both sides
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from batch.events import ModelRef, RunContext
from lightship.bundle.model_bundle import ModelBundle, load_bundle, pack_bundle
from lightship.training.data import load_training_data
from lightship.training.run import train, write

NUMERIC = [f"f{i:02d}" for i in range(18)]
CATEGORICAL = ["segment", "channel"]
DATE = "2026-11-20"


def frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` x 20 features (+ ``target``) from one generator (the same seed, the same distribution)."""
    x, y = make_classification(n_samples=rows, n_features=20, n_informative=8, n_redundant=4, random_state=0,
                               shuffle=False)
    rng = np.random.default_rng(seed)
    order = rng.permutation(rows)  # another sample of the same distribution for another seed
    x, y = x[order], y[order]
    data = pd.DataFrame(x[:, :18], columns=NUMERIC)
    data["segment"] = np.array(["a", "b", "c", "d", "e", "f"])[np.searchsorted([-1.0, -0.4, 0.2, 0.8, 1.4], x[:, 18])]
    data["channel"] = np.array(["web", "store", "phone", "partner"])[np.searchsorted([-0.3, 0.5, 1.2], x[:, 19])]
    data["target"] = y
    return data


def shifted(data: pd.DataFrame, shift: float = 1.0) -> pd.DataFrame:
    """Drift on purpose: f00 moves, f01 widens, f02 moves a little, a quarter of segment "a" becomes "f"."""
    out = data.copy()
    out["f00"] += 1.0 * shift
    out["f01"] *= 1 + 0.5 * shift
    out["f02"] += 0.1 * shift
    moved = (out["segment"] == "a").to_numpy() & (np.arange(len(out)) % 4 == 0)
    out.loc[moved, "segment"] = "f"
    return out


def trained_bundle(rows: int = 20_000, model: str = "logistic") -> tuple[ModelBundle, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        frame(rows, seed=1).to_csv(path, index=False)
        result = train(load_training_data(path, "target"), model, {})
        directory = write(result, Path(tmp) / "model")
        # The bare baseline is scikit-learn's pipeline (bench/onnx_vs_sklearn.py compares the runtimes).
        return load_bundle(directory, runtime="sklearn"), pack_bundle(directory)


def parquet_bytes(data: pd.DataFrame, row_group_size: int = 100_000) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False, row_group_size=row_group_size)
    return buffer.getvalue()


def run_context(data_bucket: str, artifact_bucket: str, model_key: str, name: str = "bench") -> RunContext:
    root = f"s3://{data_bucket}"
    return RunContext(
        run_id=name,
        date=DATE,
        input_uri=f"{root}/bench/input/{name}/",
        output_uri=f"{root}/batch/output/date={DATE}/",
        rejects_uri=f"{root}/batch/rejects/date={DATE}/",
        report_uri=f"{root}/batch/reports/date={DATE}/",
        model=ModelRef(version=1, package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/bench/1",
                       model_data_url=f"s3://{artifact_bucket}/{model_key}"),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


class ExternalEmulator:
    """``lightship local up`` in its own process, this process pointed at it.

    As on AWS, where S3 is another machine, the emulated S3 then does its work outside the
    scoring process (an in-process moto server would share its interpreter lock).
    """

    def __init__(self) -> None:
        import socket
        import subprocess

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        lightship = Path(sys.executable).parent / "lightship"
        self.process = subprocess.Popen([str(lightship), "local", "up", "--port", str(self.port)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def __enter__(self) -> ExternalEmulator:  # noqa: PYI034 - a plain class, not subclassed
        import urllib.request

        from lightship.clients import account_id
        from lightship.resources import resources_for
        from lightship.settings import load_settings

        env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.port}", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_REGION": "us-east-1", "MOTO_PORT": str(self.port)}
        os.environ.update(env)
        os.environ.pop("AWS_PROFILE", None)
        self.environment = env
        deadline = time.time() + 180
        while True:
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if "AWS emulator listening" in line:
                break
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"lightship local up did not start: {line}")
        urllib.request.urlopen(f"http://127.0.0.1:{self.port}/moto-api/").read()
        self.resources = resources_for(load_settings(), account_id())
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited from the forking parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def describe(values: list[float]) -> float:
    return float(np.median(values))


def fmt(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, (int, float)) and value >= 100 else f"{value:.3g}"
