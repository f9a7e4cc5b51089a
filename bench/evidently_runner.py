"""Runs inside bench/.venv-evidently (evidently 0.7 needs pandas 2.3): DataDriftPreset on two
Parquet files, printing the seconds it took and the columns it flags, as JSON.

    bench/.venv-evidently/bin/python bench/evidently_runner.py REFERENCE.parquet CURRENT.parquet
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def main(reference_path: str, current_path: str) -> None:
    reference, current = pd.read_parquet(reference_path), pd.read_parquet(current_path)
    started = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    result = snapshot.dict()
    seconds = time.perf_counter() - started
    columns = {}
    for metric in result["metrics"]:
        config = metric["config"]
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        method, threshold, value = config["method"], float(config["threshold"]), float(metric["value"])
        # Distances drift when large; tests drift when their p-value is small.
        drifted = value < threshold if "p_value" in method or "test" in method.lower() else value >= threshold
        columns[config["column"]] = {"method": method, "value": value, "threshold": threshold, "drifted": drifted}
    print(json.dumps({"seconds": seconds, "columns": columns, "evidently": __import__("evidently").__version__}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
