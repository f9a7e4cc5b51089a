"""The model card (escaping, missing shown as missing, model_card.json), the Markdown table, and the
reproducibility checks ("the same result")."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightship.checklist.answers import Answer, VersionFacts
from lightship.checklist.card import render_card
from lightship.model_card import CardText, card_locations, parse_card
from lightship.checklist.render import markdown
from lightship.checklist.reproducibility import compare, predictions_sha256
from lightship.errors import LightshipError

VERSION = VersionFacts(
    version=2, arn="arn:aws:sagemaker:us-east-1:1:model-package/lightship-models/2", status="Approved", approval_description="gate: ok",
    evaluation_uri="s3://a/evaluations/j.json", model_data_url="s3://a/models/j/output/model.tar.gz",
    evaluation={"model": "logistic", "task": "classification", "target": "churned", "metrics": {"roc_auc": 0.81234, "accuracy": 0.7},
                "data": {"train_rows": 800, "holdout_rows": 200, "features": 6},
                "lineage": {"git": {"commit": "c" * 40, "dirty": False}, "data": {"uri": "s3://d/training/customers/ab", "sha256": "e" * 64},
                            "hyperparameters": {"model": "logistic", "C": 0.5}, "training_job": {"name": "job-1"}}},
)


def test_card_shows_what_a_person_did_not_write_as_missing_and_never_invents_it() -> None:
    page = render_card(VERSION, [], CardText(intended_use="Rank customers for retention calls."), "2026-12-03T00:00:00+00:00")
    assert "Rank customers for retention calls." in page
    limitations = page.split("<h2>Limitations</h2>", 1)[1].split("<h2>", 1)[0]
    owner = page.split("<h2>Owner</h2>", 1)[1].split("<h2>", 1)[0]
    assert 'class="missing">missing<' in limitations and 'class="missing">missing<' in owner
    assert "0.8123" in page and "s3://d/training/customers/ab" in page and "job-1" in page


def test_card_escapes_every_value_and_loads_nothing_external() -> None:
    hostile = "<script>alert(1)</script>"
    answers = [Answer("k", f"q {hostile}", "no", f"d {hostile}", (f"s3://x/{hostile}",))]
    page = render_card(VERSION, answers, CardText(intended_use=hostile, limitations=hostile, source=hostile), "now")
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= 5
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_model_card_json_takes_strings_or_lists_and_refuses_unknown_fields_naming_the_file() -> None:
    card = parse_card(json.dumps({"intended_use": "Retention", "limitations": ["EU only", "not for pricing"]}), "model_card.json")
    assert card.intended_use == "Retention" and card.limitations == "EU only\nnot for pricing" and card.owner is None
    with pytest.raises(LightshipError, match=r"^card.json: unknown field\(s\) limitation;"):
        parse_card(json.dumps({"limitation": "x"}), "card.json")
    with pytest.raises(LightshipError, match=r"^card.json: not valid JSON"):
        parse_card("{", "card.json")
    with pytest.raises(LightshipError, match="owner must be a string"):
        parse_card(json.dumps({"owner": 3}), "card.json")


def test_options_win_over_the_file_and_blank_options_do_not() -> None:
    card = CardText(intended_use="file use", limitations="file limits", source="s3://d/model_card.json")
    merged = card.overridden(limitations="option limits", intended_use=None, owner="")
    assert (merged.intended_use, merged.limitations) == ("file use", "option limits")
    assert merged.source == "s3://d/model_card.json + command-line options"


def test_card_is_looked_for_inside_the_data_prefix_then_next_to_it() -> None:
    assert [str(u) for u in card_locations("s3://d/training/customers/0123abcd")] == [
        "s3://d/training/customers/0123abcd/model_card.json", "s3://d/training/customers/model_card.json"]


@given(st.text(max_size=40))
def test_markdown_keeps_any_text_inside_its_cell(text: str) -> None:
    out = markdown(1, [Answer("k", text, "yes", text, (text,))], "s3://a/model-cards/v1.html")
    row = out.splitlines()[4]
    # Unescaped pipes delimit cells: exactly five for four cells, whatever the text holds.
    assert len(re.findall(r"(?<!\\)\|", row.replace("\\\\", ""))) == 5
    assert "\n" not in row


def test_same_result_means_same_data_identical_metrics_and_identical_predictions() -> None:
    evaluation = {"data": {"sha256": "d1"}, "metrics": {"roc_auc": 0.8}}
    assert all(c.passed for c in compare(evaluation, dict(evaluation), "p", "p"))
    changed = compare(evaluation, {"data": {"sha256": "d1"}, "metrics": {"roc_auc": 0.8000001}}, "p", "q")
    assert [c.name for c in changed if not c.passed] == ["metrics", "predictions"]
    no_hash = compare({"metrics": {}}, {"metrics": {}}, "p", "p")
    assert [c.name for c in no_hash if not c.passed] == ["data"]


def test_prediction_checksum_changes_with_one_probability_bit() -> None:
    labels = np.array(["yes", "no"], dtype=object)
    proba = np.array([[0.25, 0.75], [0.6, 0.4]])
    nudged = proba.copy()
    nudged[1, 0] = np.nextafter(nudged[1, 0], 1.0)
    assert predictions_sha256(labels, proba) == predictions_sha256(labels.copy(), proba.copy())
    assert predictions_sha256(labels, proba) != predictions_sha256(labels, nudged)
    assert predictions_sha256(np.array([1.5, 2.5]), None) != predictions_sha256(np.array([1.5, 2.5000001]), None)


def test_a_version_without_s3_data_in_its_lineage_has_an_empty_card_text() -> None:
    from lightship.model_card import read_card

    assert read_card(object(), "inline") == CardText()
    assert read_card(object(), None) == CardText()


def test_terminal_table_prints_text_with_brackets_as_it_is() -> None:
    from rich.console import Console

    from lightship.checklist.render import table

    console = Console(width=120, record=True)
    console.print(table(1, [Answer("k", "q", "no", "feature [red] missing", ("s3://b/[x]",))], "s3://a/model-cards/v1.html"))
    text = console.export_text()
    assert "feature [red] missing" in text and "s3://b/[x]" in text and "model card: s3://a/model-cards/v1.html" in text
