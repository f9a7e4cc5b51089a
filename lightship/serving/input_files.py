"""Instances for ``lightship predict`` from a JSON, JSON Lines or CSV file, typed by the live schema.

CSV cells are text: numbers are parsed for the schema's numeric features and empty
cells become null; a cell that is not a number is refused with its file, row and
column before anything is sent. JSON is sent as written (the server validates it).
Uses the ``csv`` module, not pandas: the same file reads the same way everywhere.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from lightship.errors import DataError


def read_instances(path: Path, schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, schema)
    if suffix in {".json", ".jsonl", ".ndjson"}:
        return _read_json(path, lines=suffix != ".json")
    raise DataError(f"{path}: expected a .json, .jsonl or .csv file")


def _read_json(path: Path, lines: bool) -> list[dict[str, Any]]:
    text = path.read_text()
    try:
        if lines:
            data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if isinstance(data, dict) and "instances" in data:
        data = data["instances"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise DataError(f'{path}: expected {{"instances": [...]}}, a list of objects or one object')
    return data


def _read_csv(path: Path, schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    numeric = {f["name"] for f in (schema or {}).get("features", []) if f.get("kind") == "numeric"}
    target = (schema or {}).get("target")  # a labelled file (e.g. the training data) scores without its label
    instances: list[dict[str, Any]] = []
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise DataError(f"{path}: empty CSV (no header row)")
        for row_number, row in enumerate(reader, start=2):  # row 1 is the header
            instance: dict[str, Any] = {}
            for name, cell in row.items():
                if name is None:
                    raise DataError(f"{path}, row {row_number}: more cells than header columns")
                if name == target:
                    continue
                if cell is None or cell == "":
                    instance[name] = None
                elif name in numeric:
                    try:
                        value = float(cell)
                    except ValueError:
                        raise DataError(f"{path}, row {row_number}, column {name}: {cell!r} is not a number") from None
                    if not math.isfinite(value):
                        raise DataError(f"{path}, row {row_number}, column {name}: {cell!r} is not a finite number")
                    instance[name] = value
                else:
                    instance[name] = cell
            instances.append(instance)
    if not instances:
        raise DataError(f"{path}: no data rows")
    return instances
