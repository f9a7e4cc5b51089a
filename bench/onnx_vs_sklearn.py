"""ONNX Runtime against scikit-learn on the serving path, in one interleaved run.

For each model kind the same bundle (customers table, 5,000 rows) is loaded twice: with
ONNX Runtime (what serving does when ``model.onnx`` is present) and with the scikit-learn
pipeline (the fallback). Measured, each pair interleaved request by request so machine load
hits both alike:

* warm handler, one instance and 100 instances: the Lambda handler (Mangum + the app) end to end;
* bare model call on the same rows: ``predict_proba`` of the pipeline, ``session.run`` via the predictor;
* cold start: fresh processes that import the serving package, load the bundle from its
  ``model.tar.gz`` bytes and answer one request through the handler (no emulator: the S3 read
  is the same for both and measured by bench/serving_cold_start.py);
* the serving packages' installed size: the dists ``lambdas/serving/requirements.txt`` names,
  against the same list with scikit-learn, scipy and joblib (and their dependencies) instead of
  ONNX Runtime (and its), measured in this environment's site-packages (Linux x86_64 wheels:
  what the zip holds before pruning and bytecode; bench/serving_package.py builds the real zip).

    python bench/onnx_vs_sklearn.py [--requests 400] [--cold 5] [--kinds logistic,random_forest,hist_gradient_boosting]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from serving_support import REPO, Context, FixedRecord, http_v2_event, instances_from, silence_request_logs, summary, train_bundle

from lightship.bundle.model_bundle import ModelBundle, load_bundle
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.gateway import make_handler
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder

COLD = r"""
import sys, time, json
t0 = time.perf_counter()
import lightship.serving.runtime, lightship.serving.gateway, lightship.serving.app
from lightship.bundle.model_bundle import load_bundle
t1 = time.perf_counter()
bundle = load_bundle(open(sys.argv[1], "rb").read(), runtime=sys.argv[2])
t2 = time.perf_counter()
from lightship.deployment.record import Deployment
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.gateway import make_handler
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
class Record:
    def live(self, consistent=True):
        return Deployment(1, "arn", "s3://b/k", 1, "deploy", "r", "me", "now")
holder = ModelHolder(Record(), lambda url: bundle, ttl_seconds=3600, max_instances=100)
handler = make_handler(create_app(ServingRuntime(holder, ServingMetrics(sinks=[]), None, 1_000_000, 100)))
holder.refresh()
response = handler(json.loads(sys.argv[3]), None)
t3 = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "first_answer": t3 - t2, "sklearn_loaded": "sklearn" in sys.modules}))
sys.stdout.flush()
import os; os._exit(0)
"""

OLD_SERVING = ("scikit-learn", "scipy", "joblib", "threadpoolctl", "narwhals", "cloudpickle")
NEW_ONLY = ("onnxruntime", "flatbuffers", "protobuf", "packaging")


def handler_for(bundle: ModelBundle) -> Any:
    holder = ModelHolder(FixedRecord(), lambda url: bundle, ttl_seconds=3600, max_instances=100)
    runtime = ServingRuntime(holder, ServingMetrics(sinks=[]), None, 1_000_000, 100)
    holder.refresh()
    return make_handler(create_app(runtime))


def timed(call: Any) -> int:
    started = time.perf_counter_ns()
    call()
    return time.perf_counter_ns() - started


def warm(kind: str, requests: int) -> dict[str, Any]:
    _, packed, frame = train_bundle(kind)
    bundles = {"onnx": load_bundle(packed, runtime="onnx"), "sklearn": load_bundle(packed, runtime="sklearn")}
    handlers = {name: handler_for(b) for name, b in bundles.items()}
    encoder_rows: dict[int, Any] = {}
    events: dict[int, dict[str, Any]] = {}
    for n in (1, 100):
        instances = instances_from(frame, n, offset=7)
        events[n] = http_v2_event({"instances": instances})
        from lightship.serving.validation import RowEncoder

        encoder_rows[n] = RowEncoder(bundles["onnx"].schema, 100).encode({"instances": instances})
    samples: dict[str, list[int]] = {}
    context = Context()
    for handler in handlers.values():  # warm-up
        for n in (1, 100):
            for _ in range(20):
                handler(events[n], context)
    for _ in range(requests):
        for n in (1, 100):
            for name in ("onnx", "sklearn"):  # interleaved
                handler, event, bundle, rows = handlers[name], events[n], bundles[name], encoder_rows[n]
                samples.setdefault(f"handler/{name}/{n}", []).append(timed(lambda: handler(event, context)))  # noqa: B023
                samples.setdefault(f"bare/{name}/{n}", []).append(timed(lambda: bundle.predict_rows(rows)))  # noqa: B023
    out: dict[str, Any] = {"kind": kind}
    for key, values in samples.items():
        out[key] = summary(values)
    return {**out, "packed": packed, "event": events[1]}


def cold(packed: bytes, event: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    with tempfile.NamedTemporaryFile(suffix=".tar.gz", delete=False) as fh:
        fh.write(packed)
        path = fh.name
    env_python = sys.executable
    timings: dict[str, list[dict[str, float]]] = {"onnx": [], "sklearn": []}
    for _ in range(runs):
        for runtime in ("onnx", "sklearn"):
            result = subprocess.run([env_python, "-c", COLD, path, runtime, json.dumps(event)], capture_output=True, text=True,
                                    cwd=REPO, timeout=120, check=False,
                                    env={"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "POWERTOOLS_LOG_LEVEL": "WARNING",
                                         "PATH": "/usr/bin:/bin"})
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-2000:])
            timings[runtime].append(json.loads(result.stdout.strip().splitlines()[-1]))
    Path(path).unlink()
    out: dict[str, dict[str, float]] = {}
    for runtime, runs_ in timings.items():
        med = {k: statistics.median(float(r[k]) for r in runs_) for k in ("imports", "load", "first_answer")}
        med["total"] = med["imports"] + med["load"] + med["first_answer"]
        med["best_total"] = min(float(r["imports"]) + float(r["load"]) + float(r["first_answer"]) for r in runs_)
        med["sklearn_loaded"] = float(bool(runs_[0]["sklearn_loaded"]))
        out[runtime] = med
    return out


def dist_mib(name: str) -> float:
    dist = metadata.distribution(name)
    return sum((dist.locate_file(f).stat().st_size for f in dist.files or [] if Path(dist.locate_file(f)).is_file()), 0) / 2**20


def package_sizes() -> tuple[float, float, dict[str, float]]:
    names = [line.split("==")[0] for line in (REPO / "lambdas/serving/requirements.txt").read_text().splitlines()
             if line and not line.startswith((" ", "#"))]
    sizes = {n: dist_mib(n) for n in {*names, *OLD_SERVING}}
    now = sum(sizes[n] for n in names)
    before = sum(sizes[n] for n in names if n not in NEW_ONLY) + sum(sizes[n] for n in OLD_SERVING)
    return now, before, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--kinds", default="logistic,random_forest,hist_gradient_boosting")
    args = parser.parse_args()
    silence_request_logs()
    print(f"warm, median (p99) in µs over {args.requests} interleaved requests per cell")
    print(f"{'model':24} {'rows':>4} {'handler onnx':>16} {'handler sklearn':>18} {'bare onnx':>14} {'bare sklearn':>16} "
          f"{'onnx/bare-sk':>12} {'speed-up':>8}")
    first: dict[str, Any] | None = None
    for kind in args.kinds.split(","):
        result = warm(kind, args.requests)
        first = first or result
        for n in (1, 100):
            h_o, h_s = result[f"handler/onnx/{n}"], result[f"handler/sklearn/{n}"]
            b_o, b_s = result[f"bare/onnx/{n}"], result[f"bare/sklearn/{n}"]
            print(f"{kind:24} {n:>4} {h_o[0]:>8.0f} ({h_o[1]:>5.0f}) {h_s[0]:>10.0f} ({h_s[1]:>5.0f}) "
                  f"{b_o[0]:>7.0f} ({b_o[1]:>4.0f}) {b_s[0]:>8.0f} ({b_s[1]:>5.0f}) "
                  f"{h_o[0] / b_s[0]:>12.2f} {h_s[0] / h_o[0]:>7.1f}x")
    assert first is not None
    timings = cold(first["packed"], first["event"], args.cold)
    print(f"\ncold start ({first['kind']}), fresh processes in this interpreter, median of {args.cold} (best), seconds")
    for runtime, med in timings.items():
        print(f"  {runtime:8} imports {med['imports']:.3f}  load {med['load']:.3f}  first answer {med['first_answer']:.3f}  "
              f"total {med['total']:.3f} ({med['best_total']:.3f})  scikit-learn imported: {bool(med['sklearn_loaded'])}")
    print(f"  onnx / sklearn: {timings['onnx']['total'] / timings['sklearn']['total']:.2f}")
    now, before, sizes = package_sizes()
    print(f"\nserving packages installed: {now:.0f} MiB with ONNX Runtime, {before:.0f} MiB with scikit-learn instead "
          f"({now / before:.2f}); " + ", ".join(f"{n} {sizes[n]:.0f}" for n in (*NEW_ONLY[:1], *OLD_SERVING[:2])))


if __name__ == "__main__":
    main()
