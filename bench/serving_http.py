"""HTTP: ``lightship serve`` (uvicorn, one worker, on loopback) under a bounded load.

This process starts the emulator, registers and deploys a model, starts ``lightship serve``
in a subprocess (as a user would, against ``AWS_ENDPOINT_URL``) and sends a fixed number
of requests at a fixed concurrency over keep-alive connections (a minimal asyncio HTTP/1.1
client, so the client costs little of the 2 cores). It reports requests/s, p50/p99
latency and errors (any non-200 answer or failed connection), for one instance per
request and for 100. Baseline in the same run: bare ``predict_proba`` calls per second on
the same model and rows, in this process.

    python bench/serving_http.py [--requests 4000] [--concurrency 16]
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    from lightship.local.emulator import LocalEmulator
    from lightship.serving.validation import RowEncoder
    from lightship.settings import load_settings

    bundle, packed, frame = train_bundle("logistic")
    settings = load_settings()
    with LocalEmulator(settings) as emulator:
        assert emulator.resources is not None
        deploy_on_emulator(settings, emulator.resources, packed, bundle.evaluation)
        port = free_port()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "POWERTOOLS_LOG_LEVEL": "WARNING"}
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
            print(f"lightship serve on 127.0.0.1:{port}, {args.concurrency} connections, logistic model")
            print(f"{'instances':>9} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'bare calls/s':>13} {'HTTP / bare':>12}")
            for n, count in ((1, args.requests), (100, max(200, args.requests // 8))):
                instances = instances_from(frame, n)
                body = json.dumps({"instances": instances}).encode()
                rows = RowEncoder(bundle.schema, 1000).encode({"instances": instances})
                asyncio.run(load("127.0.0.1", port, body, 100, 4))  # warm-up
                latencies, errors, elapsed = asyncio.run(load("127.0.0.1", port, body, count, args.concurrency))
                bare_started = time.perf_counter()
                bare_calls = 0
                while time.perf_counter() - bare_started < 2.0:
                    bundle.pipeline.predict_proba(rows)
                    bare_calls += 1
                bare_rate = bare_calls / (time.perf_counter() - bare_started)
                ordered = sorted(latencies)
                rate = len(latencies) / elapsed
                p50 = statistics.median(ordered) * 1000
                p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1000
                print(f"{n:>9} {count:>9} {rate:>8.0f} {p50:>7.2f} {p99:>7.2f} {errors:>7} {bare_rate:>13.0f} {rate / bare_rate:>12.2f}")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
