"""Cold start: a fresh process imports the serving package, loads the live bundle from (emulated) S3, answers one request.

This process starts the emulator, registers and deploys a model, then runs fresh
interpreters that do what the Lambda init phase and first invocation do
(``lambdas/serving/handler.py``), timing three phases: imports, model load (record read,
S3 get, unpack, unpickle) and the first answer through Mangum. Baseline, in the same
interpreter: a fresh process that imports scikit-learn and joblib, loads the same
bundle from local disk and calls ``predict_proba`` once, the least any Python model
server can do. Each interpreter is measured:

* ``.venv`` (the development environment: pandas installed, so scikit-learn imports it);
* ``bench/.venv-serving`` (only ``lambdas/serving/requirements.txt`` + boto3, as in the
  Lambda zip: no scikit-learn, scipy or joblib) for the serving path, and its baseline in
  ``bench/.venv-serving-sklearn`` (the same packages plus scikit-learn, scipy and joblib at
  the locked versions: what the serving zip held before ONNX). Create them with::

      python3 -m venv bench/.venv-serving && bench/.venv-serving/bin/pip install -r lambdas/serving/requirements.txt boto3
      python3 -m venv bench/.venv-serving-sklearn && bench/.venv-serving-sklearn/bin/pip install \
          -r lambdas/serving/requirements.txt boto3 scikit-learn==<locked> scipy==<locked> joblib==<locked>

    python bench/serving_cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving_support import REPO, instances_from, train_bundle

CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
import lightship.serving.runtime, lightship.serving.gateway, lightship.serving.app  # the serving package
t1 = time.perf_counter()
from lightship.serving.gateway import make_handler
from lightship.serving.runtime import build_serving
serving = build_serving()
t2 = time.perf_counter()
handler = make_handler(serving.app)
event = json.loads(sys.argv[1])
response = handler(event, None)
t3 = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "first_answer": t3 - t2,
                  "model_version": serving.runtime.holder.live.version,
                  "pandas_loaded": "pandas" in sys.modules}))
sys.stdout.flush()
import os; os._exit(0)  # the capture thread's exit flush is not part of a cold start
"""

BARE = r"""
import sys, time, json
t0 = time.perf_counter()
import joblib, numpy as np, sklearn
t1 = time.perf_counter()
pipeline = joblib.load(sys.argv[1] + "/model.joblib")
t2 = time.perf_counter()
rows = np.array([json.loads(sys.argv[2])], dtype=object)
pipeline.predict_proba(rows)
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "first_answer": t3 - t2, "pandas_loaded": "pandas" in sys.modules}))
"""


def deploy_on_emulator(settings, resources, packed: bytes, evaluation: dict, name: str = "bench-cold-start") -> int:  # type: ignore[no-untyped-def]
    from lightship.clients import client
    from lightship.deployment.deploy import deploy
    from lightship.deployment.record import DeploymentRecord
    from lightship.registry.model_registry import ModelRegistry

    s3 = client("s3")
    key = f"{settings.model_prefix}/{name}/output/model.tar.gz"
    s3.put_object(Bucket=resources.artifact_bucket, Key=key, Body=packed)
    registry = ModelRegistry(settings, client("sagemaker"), s3, resources.artifact_bucket)
    version, _ = registry.register(
        model_data_url=f"s3://{resources.artifact_bucket}/{key}", evaluation={**evaluation, "lineage": {}},
        image="sklearn", training_job_name=name, training_job_arn=f"arn:aws:sagemaker:::training-job/{name}",
    )
    if version.status != "Approved":
        registry.approve(version.version, "benchmark", "bench")
    deploy(registry, DeploymentRecord(client("dynamodb"), resources.deployment_table), version.version, reason="benchmark", by="bench")
    return version.version


def run_child(python: str, code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    result = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{python}: {result.stderr[-2000:]}")
    line = [ln for ln in result.stdout.splitlines() if ln.startswith('{"imports"')][-1]
    timings = json.loads(line)
    timings["process_wall"] = wall
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from lightship.bundle.model_bundle import _extract
    from lightship.local.emulator import LocalEmulator
    from lightship.serving.validation import RowEncoder
    from lightship.settings import load_settings

    bundle, packed, frame = train_bundle("logistic")
    instance = instances_from(frame, 1)[0]
    row = RowEncoder(bundle.schema, 1).encode({"instances": [instance]})[0].tolist()
    bundle_dir = Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    import io

    _extract(io.BytesIO(packed), bundle_dir)
    sys.path.insert(0, str(REPO / "tests"))
    from support.events import http_api_v2

    event = json.dumps(http_api_v2("POST", "/v1/predict", {"instances": [instance]}))
    settings = load_settings()
    dev = str(REPO / ".venv" / "bin" / "python")
    # name -> (interpreter for the serving path, interpreter for the bare scikit-learn baseline)
    interpreters = {"dev .venv (pandas installed)": (dev, dev)}
    lean = REPO / "bench" / ".venv-serving" / "bin" / "python"
    lean_sklearn = REPO / "bench" / ".venv-serving-sklearn" / "bin" / "python"
    if lean.exists() and lean_sklearn.exists():
        interpreters["lean venv (Lambda zip's packages)"] = (str(lean), str(lean_sklearn))
    else:
        print(f"({lean} or {lean_sklearn} missing: only the dev environment is measured; see the docstring)")

    with LocalEmulator(settings) as emulator:
        assert emulator.resources is not None
        version = deploy_on_emulator(settings, emulator.resources, packed, bundle.evaluation)
        env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
               "LIGHTSHIP_DATA_BUCKET": emulator.resources.data_bucket,
               "LIGHTSHIP_DEPLOYMENT_TABLE": emulator.resources.deployment_table,
               "POWERTOOLS_LOG_LEVEL": "WARNING"}
        results: dict[str, dict[str, list[dict[str, float]]]] = {name: {"serving": [], "bare": []} for name in interpreters}
        for _ in range(args.runs):
            for name, (serving_python, bare_python) in interpreters.items():  # interleaved: load drift hits both alike
                results[name]["serving"].append(run_child(serving_python, CHILD, [event], env))
                results[name]["bare"].append(run_child(bare_python, BARE, [str(bundle_dir), json.dumps(row)], env))

    print(f"cold start, median of {args.runs} fresh processes per cell, and the best one (seconds); deployed version {version}")
    print(f"{'environment':36} {'path':8} {'imports':>8} {'load':>7} {'answer':>7} {'in-proc':>8} {'best':>6} {'process':>8} {'pandas':>7}")
    summary: dict[str, dict[str, float]] = {}
    for name, cells in results.items():
        for path in ("bare", "serving"):
            runs = cells[path]
            med = {k: statistics.median(r[k] for r in runs) for k in ("imports", "load", "first_answer", "process_wall")}
            total = med["imports"] + med["load"] + med["first_answer"]
            best = min(r["imports"] + r["load"] + r["first_answer"] for r in runs)  # the least-disturbed run
            summary[f"{name}/{path}"] = {**med, "total": total, "best_total": best}
            print(f"{name:36} {path:8} {med['imports']:>8.3f} {med['load']:>7.3f} {med['first_answer']:>7.3f} "
                  f"{total:>8.3f} {best:>6.3f} {med['process_wall']:>8.3f} {bool(runs[0]['pandas_loaded'])!s:>7}")
        ratio = summary[f"{name}/serving"]["total"] / summary[f"{name}/bare"]["total"]
        best_ratio = summary[f"{name}/serving"]["best_total"] / summary[f"{name}/bare"]["best_total"]
        print(f"{'':36} serving / bare (in-process total): {ratio:.2f}x median, {best_ratio:.2f}x best")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
