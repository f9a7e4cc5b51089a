"""HTTP: ``lightship serve`` (uvicorn, one worker, on loopback) under a bounded load.

This process starts the emulator, registers and deploys a model, starts ``lightship serve``
in a subprocess (as a user would, against ``AWS_ENDPOINT_URL``) and sends a fixed number
of requests at a fixed concurrency over keep-alive connections (a minimal asyncio HTTP/1.1
client, so the client costs little of the 2 cores). It reports requests/s, p50/p99
latency and errors (any non-200 answer or failed connection), for one instance per
request and for 100. Baseline in the same run: bare ``predict_proba`` calls per second on
the same model and rows, in this process.

The same fitted pipeline is deployed twice: once with its ``model.onnx`` (served by ONNX
Runtime) and once without (served by scikit-learn, the fallback and what serving ran before
ONNX). Rounds alternate between the two by redeploying, and the server is asked which
runtime answers (``GET /v1/model``) before each is loaded, so ``onnx / sklearn`` compares the
two runtimes behind the same HTTP server, in one interleaved run.

    python bench/serving_http.py [--requests 4000] [--concurrency 16] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import time
import urllib.request

from serving_cold_start import deploy_on_emulator
from serving_support import REPO, instances_from, train_bundle


async def load(host: str, port: int, body: bytes, requests: int, concurrency: int) -> tuple[list[float], int, float]:
    head = (f"POST /v1/predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    remaining = requests
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal remaining, errors
        reader, writer = await asyncio.open_connection(host, port)
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line:
                errors += 1
        writer.close()

    started = time.perf_counter()
    results = await asyncio.gather(*(worker() for _ in range(concurrency)), return_exceptions=True)
    elapsed = time.perf_counter() - started
    errors += sum(1 for r in results if isinstance(r, Exception))
    return latencies, errors, elapsed


def without_onnx(packed: bytes) -> bytes:
    """The same bundle without ``model.onnx``: the same fitted pipeline, served by scikit-learn."""
    import io
    import tempfile
    from pathlib import Path

    from lightship.bundle.model_bundle import MANIFEST, ONNX_FILE, _extract, pack_bundle, read_manifest

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        _extract(io.BytesIO(packed), directory)
        manifest = read_manifest(directory)
        (directory / ONNX_FILE).unlink()
        manifest.pop("onnx")
        manifest["runtime"] = "sklearn"
        manifest["onnx_fallback"] = "benchmark: the scikit-learn baseline"
        manifest["files"] = {k: v for k, v in manifest["files"].items() if k != ONNX_FILE}
        (directory / MANIFEST).write_text(json.dumps(manifest))
        return pack_bundle(directory)


def wait_for_runtime(port: int, version: int, runtime: str, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/model", timeout=5) as response:
            body = json.loads(response.read())
        if (body["model_version"], body["runtime"]) == (version, runtime):
            return
        if time.time() > deadline:
            raise RuntimeError(f"the server still serves version {body['model_version']} ({body['runtime']}), not {version} ({runtime})")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from lightship.clients import client
    from lightship.deployment.deploy import deploy
    from lightship.deployment.record import DeploymentRecord
    from lightship.local.emulator import LocalEmulator
    from lightship.registry.model_registry import ModelRegistry
    from lightship.serving.validation import RowEncoder
    from lightship.settings import load_settings

    bundle, packed, frame = train_bundle("logistic")
    packed_sklearn = without_onnx(packed)
    settings = load_settings()
    with LocalEmulator(settings) as emulator:
        assert emulator.resources is not None
        versions = {"onnx": deploy_on_emulator(settings, emulator.resources, packed, bundle.evaluation, "bench-http-onnx"),
                    "sklearn": deploy_on_emulator(settings, emulator.resources, packed_sklearn, bundle.evaluation, "bench-http-sklearn")}
        registry = ModelRegistry(settings, client("sagemaker"), client("s3"), emulator.resources.artifact_bucket)
        record = DeploymentRecord(client("dynamodb"), emulator.resources.deployment_table)
        port = free_port()
        # A short record cache, so a redeploy reaches the server within a second.
        env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "POWERTOOLS_LOG_LEVEL": "WARNING",
               "LIGHTSHIP_SERVING__RECORD_TTL_SECONDS": "0.5"}
        server = subprocess.Popen([str(REPO / ".venv" / "bin" / "lightship"), "serve", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
        try:
            deadline = time.time() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise RuntimeError(f"lightship serve did not come up: {server.stderr.read().decode() if server.stderr else ''}")
                    time.sleep(0.2)
            print(f"lightship serve on 127.0.0.1:{port}, {args.concurrency} connections, logistic model, {args.rounds} rounds")
            cells: dict[tuple[int, str], list[tuple[float, float, float, int]]] = {}
            bare: dict[int, list[float]] = {}
            for round_number in range(args.rounds):
                order = ["onnx", "sklearn"] if round_number % 2 == 0 else ["sklearn", "onnx"]
                for runtime in order:
                    deploy(registry, record, versions[runtime], reason="benchmark", by="bench")
                    wait_for_runtime(port, versions[runtime], runtime)
                    for n, count in ((1, args.requests), (100, max(200, args.requests // 8))):
                        body = json.dumps({"instances": instances_from(frame, n)}).encode()
                        asyncio.run(load("127.0.0.1", port, body, 100, 4))  # warm-up
                        latencies, errors, elapsed = asyncio.run(load("127.0.0.1", port, body, count, args.concurrency))
                        ordered = sorted(latencies)
                        cells.setdefault((n, runtime), []).append(
                            (len(latencies) / elapsed, statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000, errors))
                for n in (1, 100):
                    rows = RowEncoder(bundle.schema, 1000).encode({"instances": instances_from(frame, n)})
                    bare_started = time.perf_counter()
                    bare_calls = 0
                    while time.perf_counter() - bare_started < 2.0:
                        bundle.pipeline.predict_proba(rows)
                        bare_calls += 1
                    bare.setdefault(n, []).append(bare_calls / (time.perf_counter() - bare_started))
            print(f"{'instances':>9} {'runtime':>8} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'bare sklearn calls/s':>21} {'HTTP / bare':>12}")
            for n in (1, 100):
                rates = {}
                for runtime in ("onnx", "sklearn"):
                    runs = cells[(n, runtime)]
                    rate = statistics.median(r[0] for r in runs)
                    rates[runtime] = rate
                    bare_rate = statistics.median(bare[n])
                    print(f"{n:>9} {runtime:>8} {rate:>8.0f} {statistics.median(r[1] for r in runs):>7.2f} "
                          f"{statistics.median(r[2] for r in runs):>7.2f} {sum(r[3] for r in runs):>7} {bare_rate:>21.0f} {rate / bare_rate:>12.2f}")
                print(f"{n:>9} onnx / sklearn req/s: {rates['onnx'] / rates['sklearn']:.2f}x")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
