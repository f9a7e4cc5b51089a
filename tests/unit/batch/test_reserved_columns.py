"""Names the scores write are reserved: an input column named like one would be overwritten in the
output (a user's ``prediction`` or ``source_row`` silently replaced), so the run quarantines such a
file with the column and the reason, and every column scoring adds is one the contract reserves.
In process against moto's S3 (``s3_day``)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from batch.score import score_frame
from lightship.bundle.model_bundle import ModelBundle
from lightship.bundle.row_contract import reserved_columns
from tests.unit.batch.conftest import S3Day
from tests.unit.batch.test_identity_csv_shapes import rows_table, to_csv

# Written here, not imported: what a scores file holds besides the input's own columns.
OUTPUT_NAMES = ("prediction", "model_version", "run_id", "source_uri", "source_row", "reject_reason")


def test_every_column_scoring_adds_is_reserved(bundle: ModelBundle, batch_frame: pd.DataFrame) -> None:
    frame = batch_frame.head(50).copy()
    frame["tenure_months"] = frame["tenure_months"].astype(object)
    frame.loc[0, "tenure_months"] = "not a number"  # one reject, so the rejects' columns show too
    result = score_frame(frame, bundle, 3, "run-1", "s3://b/in/a.csv")
    added = (set(result.scored.columns) | set(result.rejects.columns)) - set(frame.columns)
    probabilities = {f"probability_{c}" for c in bundle.schema.classes}
    assert added == set(OUTPUT_NAMES) | probabilities
    assert sorted(reserved_columns(added)) == sorted(added)


@hsettings(max_examples=50)
@given(st.sampled_from(OUTPUT_NAMES) | st.text(min_size=1, max_size=12).map(lambda s: f"probability_{s}"))
def test_an_output_name_is_reserved_wherever_it_stands(name: str) -> None:
    assert reserved_columns(["tenure_months", name, "order id"]) == [name]


@given(st.text(max_size=30).filter(lambda s: s not in OUTPUT_NAMES and not s.startswith("probability_")))
def test_other_names_are_not_reserved(name: str) -> None:
    assert reserved_columns([name]) == []


@pytest.mark.parametrize("name", ["prediction", "source_uri", "source_row", "probability_yes"])
def test_a_file_with_an_input_column_named_like_an_output_is_quarantined_with_the_column(s3_day: S3Day, name: str) -> None:
    frame = rows_table(4)
    frame[name] = ["mine"] * 4
    uri = s3_day.put("clash.csv", to_csv(frame))
    s3_day.put("fine.csv", to_csv(rows_table(3, seed=2)))

    manifest = s3_day.run(chunk_rows=10)

    objects = {o["uri"]: o for o in manifest["input"]["objects"]}
    assert objects[uri]["status"] == "quarantined"
    assert objects[uri]["reason"].startswith(f"wrong schema: column {name} is reserved: batch scoring writes its own column")
    assert manifest["rows"]["in"] == 7 and manifest["rows"]["rejected"] == 4 and manifest["rows"]["scored"] == 3
    written = s3_day.written(manifest)
    # The other file's rows are scored; no user value ever stands in an output column.
    assert set(written.loc[~written["rejected"], "source_uri"]) == {uri.replace("clash.csv", "fine.csv")}
    assert "mine" not in set(written.get("prediction", pd.Series(dtype=object)).astype(str))
