"""The assembled training set: the parent's rows plus the window's labeled rows, de-duplicated by id."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightship.retraining import dataset as dataset_mod
from lightship.retraining.dataset import assemble

FEATURES = ["tenure", "plan"]


def parent_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"tenure": [float(i) for i in range(n)], "plan": ["basic" if i % 2 else "pro" for i in range(n)],
                         "churned": [i % 2 for i in range(n)]})


def labeled_frame(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "tenure": [100.0 + i for i in range(len(ids))], "plan": ["pro"] * len(ids),
                         "label": [str(i % 2) for i in range(len(ids))]})


id_lists = st.lists(st.sampled_from([f"p{i}" for i in range(12)] + [f"n{i}" for i in range(12)]), max_size=30)


@settings(max_examples=60, deadline=None)
@given(parent_ids=st.lists(st.sampled_from([f"p{i}" for i in range(12)] + ["n1", "n2"]), min_size=1, max_size=20), new_ids=id_lists)
def test_ids_are_unique_and_counts_are_parent_plus_new_minus_duplicates(parent_ids: list[str], new_ids: list[str]) -> None:
    parent = parent_frame(len(parent_ids))
    out = assemble(parent, pd.Series(parent_ids), labeled_frame(new_ids), "churned")
    assert out.ids.is_unique and len(out.ids) == len(out.frame)
    unique_parent = list(dict.fromkeys(parent_ids))
    fresh = [i for i in dict.fromkeys(new_ids) if i not in set(unique_parent)]
    assert list(out.ids) == unique_parent + fresh  # the parent's rows first, then each new id once, in order
    assert out.counts["rows"] == len(unique_parent) + len(fresh)
    assert out.counts["new_rows"] == len(fresh)
    assert out.counts["labeled_duplicates"] == len(new_ids) - len(set(new_ids))
    assert out.counts["already_in_parent"] == len({i for i in new_ids if i in set(parent_ids)})
    assert out.counts["parent_duplicates"] == len(parent_ids) - len(unique_parent)
    assert out.counts["labeled_rows"] == len(new_ids)
    # The parent's row wins over a label for the same id: its values are the parent's.
    for row, rid in enumerate(out.ids[: len(unique_parent)]):
        first = parent_ids.index(rid)
        assert out.frame.loc[row, "tenure"] == parent.loc[first, "tenure"]


def test_the_hash_is_that_of_what_the_training_job_reads_and_the_file_holds_features_and_target_only() -> None:
    out = assemble(parent_frame(3), pd.Series(["a", "b", "c"]), labeled_frame(["x", "y"]), "churned")
    assert out.sha256 == hashlib.sha256(b"data.csv" + out.data_bytes).hexdigest()  # lightship.training.data.content_hash
    assert out.version == out.sha256[:16]
    written = pd.read_csv(io.BytesIO(out.data_bytes))
    assert list(written.columns) == ["tenure", "plan", "churned"]
    assert written["churned"].tolist() == [0, 1, 0, 0, 1]  # text labels take the parent's target type
    assert written["tenure"].tolist() == [0.0, 1.0, 2.0, 100.0, 101.0]


def test_the_same_inputs_give_the_same_dataset_version_and_new_labels_a_new_one() -> None:
    parent, ids = parent_frame(4), pd.Series(["a", "b", "c", "d"])
    first = assemble(parent, ids, labeled_frame(["x"]), "churned")
    again = assemble(parent, ids, labeled_frame(["x"]), "churned")
    more = assemble(parent, ids, labeled_frame(["x", "y"]), "churned")
    assert first.sha256 == again.sha256 and first.data_bytes == again.data_bytes
    assert more.sha256 != first.sha256


def test_ids_round_trip_through_the_file_beside_the_dataset() -> None:
    ids = pd.Series(["s3://b/k.csv:0", "req-1:3", "007", "NA"])
    assert dataset_mod.read_ids(dataset_mod.ids_csv(ids)).tolist() == ids.tolist()


def test_labeled_rows_without_the_parents_features_are_refused() -> None:
    labeled = labeled_frame(["x"]).drop(columns=["plan"])
    with pytest.raises(ValueError, match="lack the parent's features: plan"):
        assemble(parent_frame(2), pd.Series(["a", "b"]), labeled, "churned")


def test_default_ids_name_the_object_and_row() -> None:
    assert dataset_mod.default_ids("training/d/x.csv", 2).tolist() == ["training/d/x.csv:0", "training/d/x.csv:1"]


@settings(max_examples=60, deadline=None)
@given(parent_ids=id_lists, new_ids=id_lists, fraction=st.sampled_from([0.0, 0.25, 0.5, 0.9]))
def test_held_out_rows_are_new_rows_never_trained_on_and_the_counts_add_up(parent_ids: list[str], new_ids: list[str],
                                                                          fraction: float) -> None:
    out = assemble(parent_frame(len(parent_ids)), pd.Series(parent_ids, dtype=object), labeled_frame(new_ids), "churned",
                   holdout_fraction=fraction)
    held = set(out.holdout_ids)
    assert held.isdisjoint(set(out.ids)) and held.isdisjoint(set(parent_ids))
    assert out.holdout_ids.is_unique and len(out.holdout) == len(out.holdout_ids) == out.counts["holdout_rows"]
    assert out.counts["rows"] + out.counts["holdout_rows"] == len(set(parent_ids)) + out.counts["new_rows"]
    # The choice is the id's hash, not the row's position: the same ids are held out whatever else arrives.
    expected = {i for i in set(new_ids) - set(parent_ids)
                if int(hashlib.sha256(i.encode()).hexdigest()[:8], 16) < int(fraction * 2**32)}
    assert held == expected
    assert list(out.holdout.columns) == ["tenure", "plan", "churned"]


def test_the_holdout_file_round_trips_with_ids_and_typed_targets() -> None:
    out = assemble(parent_frame(4), pd.Series(["a", "b", "c", "d"]), labeled_frame([f"n{i}" for i in range(40)]), "churned",
                   holdout_fraction=0.5)
    assert 0 < out.counts["holdout_rows"] < 40
    back = dataset_mod.read_holdout(dataset_mod.holdout_csv(out))
    assert list(back["id"]) == list(out.holdout_ids)
    assert back["churned"].tolist() == out.holdout["churned"].tolist() and back["churned"].dtype.kind == "i"


def test_a_holdout_fraction_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not in"):
        dataset_mod.held_out(pd.Series(["a"]), 1.0)


@settings(max_examples=60, deadline=None)
@given(parent_ids=id_lists, new_ids=id_lists, fraction=st.sampled_from([0.0, 0.25, 0.5, 0.9]))
def test_the_same_labels_assembled_again_on_the_assembled_dataset_add_nothing(parent_ids: list[str], new_ids: list[str],
                                                                              fraction: float) -> None:
    """Run 2's parent is run 1's dataset: its training rows and the rows it held out are all seen, none is new."""
    labeled = labeled_frame(new_ids)
    first = assemble(parent_frame(len(parent_ids)), pd.Series(parent_ids, dtype=object), labeled, "churned", holdout_fraction=fraction)
    fresh = set(new_ids) - set(parent_ids)
    assert set(first.held_out_ids) == set(first.holdout_ids) and set(first.ids) | set(first.held_out_ids) == set(parent_ids) | fresh
    generation = first
    for _ in range(2):  # and the run after that: what the grandparent held out is still not new
        again = assemble(generation.frame, generation.ids, labeled, "churned", holdout_fraction=fraction,
                         parent_held_out=dataset_mod.read_ids(dataset_mod.ids_csv(generation.held_out_ids)))
        assert again.counts["new_rows"] == 0 and again.counts["holdout_rows"] == 0
        assert again.counts["already_in_parent"] == len(set(new_ids))
        assert again.sha256 == first.sha256 and again.data_bytes == first.data_bytes  # identical bytes: nothing to train on
        assert set(again.held_out_ids) == set(first.holdout_ids)
        generation = again


def test_a_label_the_parent_held_out_stays_out_and_only_unseen_ids_are_new() -> None:
    parent, ids = parent_frame(2), pd.Series(["a", "b"])
    out = assemble(parent, ids, labeled_frame(["h1", "x", "a"]), "churned", parent_held_out=pd.Series(["h1", "h2"]))
    assert list(out.ids) == ["a", "b", "x"]
    assert (out.counts["new_rows"], out.counts["already_in_parent"]) == (1, 2)
    assert list(out.held_out_ids) == ["h1", "h2"]  # carried on for the run after this one
