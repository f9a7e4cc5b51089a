"""Bad training data is refused with one line naming the file and the problem."""

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lightship.errors import DataError
from lightship.training.data import infer_task, load_training_data


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: no such file or folder"):
        load_training_data(tmp_path / "nope.csv", "y")


def test_unparsable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot be parsed as parquet"):
        load_training_data(bad, "y")


def test_missing_target_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"d\.csv: no target column 'y' \(columns: a, b\)"):
        load_training_data(path, "y")


@given(st.sampled_from(["prediction", "model_version", "run_id", "source_uri", "source_row", "reject_reason"])
       | st.text(min_size=1, max_size=8).filter(lambda s: "," not in s and s.strip() == s and not {"\n", "\r", '"'} & set(s))
       .map(lambda s: f"probability_{s}"))
@hsettings(max_examples=25, deadline=None)
def test_a_feature_named_like_a_batch_output_column_is_refused_with_file_and_column(name: str) -> None:
    """Batch scoring writes these columns itself: a feature by one of these names would be overwritten."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.csv"
        pd.DataFrame({"a": range(12), name: range(12), "y": [0, 1] * 6}).to_csv(path, index=False)
        with pytest.raises(DataError) as refused:
            load_training_data(path, "y")
    assert str(refused.value).startswith(f"{path}: column '{name}' is reserved: batch scoring writes its own column")


def test_single_class_target_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": range(20), "y": ["yes"] * 20}).to_csv(path, index=False)
    with pytest.raises(DataError, match="has one class \\('yes'\\)"):
        load_training_data(path, "y")


def test_all_targets_missing_means_no_usable_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": range(5), "y": [None] * 5}).to_csv(path, index=False)
    with pytest.raises(DataError, match="no usable rows"):
        load_training_data(path, "y")


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,y\n")
    with pytest.raises(DataError, match=r"d\.csv: no rows"):
        load_training_data(path, "y")


def test_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no .csv or .parquet files"):
        load_training_data(tmp_path, "y")


def test_rows_without_target_are_dropped_and_counted(tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    frame = customers_frame.copy()
    frame.loc[:9, "churned"] = None
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    data = load_training_data(path, "churned")
    assert data.rows_read == len(frame) and data.rows_without_target == 10
    assert len(data.frame) == len(frame) - 10


def test_folder_of_parts_is_read_as_one_data_set_with_a_stable_hash(tmp_path: Path, customers_frame: pd.DataFrame) -> None:
    customers_frame.iloc[:1000].to_csv(tmp_path / "part-0.csv", index=False)
    customers_frame.iloc[1000:].to_csv(tmp_path / "part-1.csv", index=False)
    first = load_training_data(tmp_path, "churned")
    assert len(first.frame) == len(customers_frame)
    assert load_training_data(tmp_path, "churned").sha256 == first.sha256


def test_task_is_inferred_from_the_target() -> None:
    assert infer_task(pd.Series([0, 1, 1])) == "classification"
    assert infer_task(pd.Series(["a", "b"])) == "classification"
    assert infer_task(pd.Series([0.1, 2.5, 3.7])) == "regression"
