"""Serving under faults: a bounded load against the app under uvicorn on loopback while a bundle that
fails to load is deployed, the record table is unreachable for a while, and S3 is unreachable while
a good new version is deployed (the scenario of tests/support/fault_run.py, longer than the test).

Baseline in the same process: the same load for the same time with nothing injected, run first.
Reports requests answered, client errors (resets, timeouts), statuses, requests/s and latency
(p50, p99, max) of both runs, their ratios, and latency during each fault.

    python bench/serving_faults.py [--seconds 20] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from serving_support import REPO  # noqa: F401 - puts the repository on sys.path

from lightship.datasets import customers
from lightship.local.emulator import LocalEmulator
from lightship.settings import load_settings
from tests.support.fault_run import FaultRun, run_under_faults


def _summary(run: FaultRun) -> dict[str, Any]:
    return {
        "sent": run.sent,
        "answered": len(run.answers),
        "client_errors": len(run.errors),
        "statuses": {str(k): v for k, v in sorted(run.statuses.items(), key=lambda kv: str(kv[0]))},
        "req_per_s": round(len(run.answers) / run.duration, 1),
        "p50_ms": round(run.latency_ms(0.5), 1),
        "p99_ms": round(run.latency_ms(0.99), 1),
        "max_ms": round(max((a.seconds for a in run.answers), default=0.0) * 1000, 1),
        "versions": sorted({a.version for a in run.answers if a.version is not None}),
    }


def _window(run: FaultRun, start: str, end: str) -> dict[str, Any]:
    answers = run.answered_between(run.at(start), run.at(end))
    latencies = sorted(a.seconds * 1000 for a in answers)
    return {
        "answered": len(answers),
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "versions": sorted({a.version for a in answers if a.version is not None}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    settings = load_settings()
    frame = customers(rows=2000, seed=7)
    with LocalEmulator(settings) as emulator:
        assert emulator.resources is not None
        baseline = run_under_faults(settings, emulator.resources, frame, seconds=args.seconds, concurrency=args.concurrency,
                                    faults=False, prefix="bench-baseline")
        emulator.reset()
        faulted = run_under_faults(settings, emulator.resources, frame, seconds=args.seconds, concurrency=args.concurrency,
                                   prefix="bench-faults")
    result = {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "baseline": _summary(baseline),
        "faults": _summary(faulted),
        "ratio_req_per_s": round(len(faulted.answers) / faulted.duration / (len(baseline.answers) / baseline.duration), 2),
        "ratio_p99": round(faulted.latency_ms(0.99) / baseline.latency_ms(0.99), 2),
        "windows": {
            "broken bundle deployed -> record table down": _window(faulted, "deployed v", "record table unreachable"),
            "record table down": _window(faulted, "record table unreachable", "record table back"),
            "S3 down (new version deployed)": _window(faulted, "S3 unreachable", "S3 back"),
        },
        "timeline": [(round(t, 2), what) for t, what in faulted.timeline],
        "record_calls_failed": faulted.record_failed_calls,
        "s3_calls_failed": faulted.s3_failed_calls,
        "capture_records_dropped": faulted.capture_dropped,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.seconds:g} s per run, {args.concurrency} keep-alive clients, 1 instance per request\n")
    print(f"{'run':<10}{'sent':>7}{'answered':>10}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses  versions")
    for name in ("baseline", "faults"):
        s = result[name]
        print(f"{name:<10}{s['sent']:>7}{s['answered']:>10}{s['client_errors']:>8}{s['req_per_s']:>8}{s['p50_ms']:>9}"
              f"{s['p99_ms']:>9}{s['max_ms']:>9}  {s['statuses']}  {s['versions']}")
    print(f"\nfaults / baseline: req/s {result['ratio_req_per_s']}, p99 {result['ratio_p99']}")
    for name, w in result["windows"].items():
        print(f"  {name}: {w}")
    print(f"timeline: {result['timeline']}")
    print(f"record calls failed {result['record_calls_failed']}, S3 calls failed {result['s3_calls_failed']}, "
          f"capture records dropped {result['capture_records_dropped']}")


if __name__ == "__main__":
    main()
