"""``lightship datasets``: the README's commands get the demo's data as a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lightship.cli.main import main
from lightship.datasets import customers


def test_customers_writes_the_table_the_demo_trains_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "customers.csv"
    assert main(["datasets", "customers", "--out", str(out), "--rows", "300"]) == 0
    assert f"wrote 300 rows x 7 columns to {out}" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(_csv(customers(rows=300, seed=7), tmp_path / "expected.csv")))


def test_unlabelled_parquet_for_batch_input(tmp_path: Path) -> None:
    out = tmp_path / "day.parquet"
    assert main(["datasets", "customers", "--out", str(out), "--rows", "50", "--seed", "3", "--shift", "1", "--unlabelled"]) == 0
    frame = pd.read_parquet(out)
    assert "churned" not in frame.columns and len(frame) == 50


def test_an_unsupported_file_type_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "breast-cancer", "--out", str(tmp_path / "bc.txt")]) == 1
    assert capsys.readouterr().err.strip() == f"error: --out {tmp_path / 'bc.txt'}: name a .csv or .parquet file"


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path
