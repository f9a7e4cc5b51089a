"""``lightship predict`` reads JSON, JSON Lines and CSV; a bad CSV cell is named by file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightship.errors import DataError
from lightship.serving.input_files import read_instances

SCHEMA = {"target": "churned", "features": [{"name": "tenure", "kind": "numeric"}, {"name": "plan", "kind": "categorical"}]}


def test_csv_cells_are_typed_by_the_schema_and_the_label_column_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("tenure,plan,churned\n3.5,basic,1\n,premium,0\n")
    assert read_instances(path, SCHEMA) == [{"tenure": 3.5, "plan": "basic"}, {"tenure": None, "plan": "premium"}]


def test_a_csv_cell_that_is_not_a_number_names_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("tenure,plan\n3.5,basic\nabc,premium\n")
    with pytest.raises(DataError, match=r"in\.csv, row 3, column tenure: 'abc' is not a number"):
        read_instances(path, SCHEMA)


@pytest.mark.parametrize(
    ("name", "text"),
    [("a.json", '{"instances": [{"tenure": 1}]}'), ("b.json", '[{"tenure": 1}]'), ("c.jsonl", '{"tenure": 1}\n')],
)
def test_json_shapes_are_accepted(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert read_instances(path, SCHEMA) == [{"tenure": 1}]


def test_unreadable_inputs_are_refused_with_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_instances(tmp_path / "missing.csv", SCHEMA)
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(DataError, match=r"bad\.json: not valid JSON \(line 1"):
        read_instances(bad, SCHEMA)
    other = tmp_path / "x.parquet"
    other.write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"expected a \.json, \.jsonl or \.csv file"):
        read_instances(other, SCHEMA)
