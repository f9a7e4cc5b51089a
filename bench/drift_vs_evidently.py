"""Drift statistics from merged sketches vs evidently's DataDriftPreset on the same frames.

Reference and current frames (20 features; the current one shifted on f00, f01, f02 and the
segment mix) are written to Parquet once. Ours, timed in this process: fit the reference
bins (the baseline profile training would have made), sketch the current frame chunk by
chunk (``chunk_rows``, as the Map does), merge the sketches and compute PSI / KS / chi-squared
with the verdicts. The statistics alone (from already merged sketches, what finalize adds
to a run) are timed too. evidently runs from its own environment (bench/.venv-evidently,
pandas 2.3) in a subprocess that times only its report. Verdicts are compared per feature.

    python bench/drift_vs_evidently.py [--reference-rows 100000] [--current-rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import batch_support as support

from lightship.drift.compare import fit_profile
from lightship.drift.report import drift_report
from lightship.drift.sketch import merge, sketch_frame

EVIDENTLY_PYTHON = Path(__file__).resolve().parent / ".venv-evidently" / "bin" / "python"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--current-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not EVIDENTLY_PYTHON.exists():
        raise SystemExit(f"{EVIDENTLY_PYTHON} missing: python3 -m venv bench/.venv-evidently && "
                         "bench/.venv-evidently/bin/pip install 'evidently==0.7.*' 'pandas>=2.3,<2.4' pyarrow")
    both = support.frame(args.reference_rows + args.current_rows, seed=4).drop(columns=["target"])
    reference = both.iloc[: args.reference_rows].reset_index(drop=True)
    current = support.shifted(both.iloc[args.reference_rows :].reset_index(drop=True))
    del both
    limits = lambda name: (0.2, 0.1)

    ours, stats_only = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        profile = fit_profile(reference, bins=20)
        sketches = [sketch_frame(profile, current.iloc[i : i + args.chunk_rows], None)
                    for i in range(0, len(current), args.chunk_rows)]
        merged = merge(sketches)
        merged.prediction = None
        stats_started = time.perf_counter()
        report = drift_report("bench", profile, merged, limits)
        ended = time.perf_counter()
        ours.append(ended - started)
        stats_only.append(ended - stats_started)

    with tempfile.TemporaryDirectory() as tmp:
        ref_path, cur_path = Path(tmp) / "reference.parquet", Path(tmp) / "current.parquet"
        reference.to_parquet(ref_path, index=False)
        current.to_parquet(cur_path, index=False)
        out = subprocess.run([str(EVIDENTLY_PYTHON), str(Path(__file__).parent / "evidently_runner.py"), str(ref_path), str(cur_path)],
                             capture_output=True, text=True, check=True, timeout=3600)
    evidently = json.loads(out.stdout.strip().splitlines()[-1])

    ours_flags = {f.name: f.drifted for f in report.features}
    theirs = {name: c["drifted"] for name, c in evidently["columns"].items()}
    disagree = sorted(name for name in ours_flags if ours_flags[name] != theirs.get(name))
    result = {
        "reference_rows": args.reference_rows, "current_rows": args.current_rows, "features": len(ours_flags),
        "ours_seconds": round(support.describe(ours), 3),
        "ours_statistics_from_merged_sketches_seconds": round(support.describe(stats_only), 5),
        "evidently_seconds": round(evidently["seconds"], 2), "evidently_version": evidently["evidently"],
        "speedup": round(evidently["seconds"] / support.describe(ours), 1),
        "ours_drifted": sorted(n for n, d in ours_flags.items() if d),
        "evidently_drifted": sorted(n for n, d in theirs.items() if d),
        "verdicts_agree": not disagree, "disagreements": disagree,
        "evidently_methods": sorted({c["method"] for c in evidently["columns"].values()}),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
