"""A settings group passed to a function as environment variables reads back as the same values."""

from __future__ import annotations

import pytest

from infra.settings_env import group_environment
from lightship.settings import GateSettings, load_settings


def test_a_non_default_gate_survives_the_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = GateSettings(classification_metric="f1_macro", classification_min=0.61, regression_metric="mae", regression_max=12.5,
                        min_improvement=0.002, max_segment_gap=0.2, min_segment_rows=75)
    env = group_environment("gate", gate)
    assert env["LIGHTSHIP_GATE__CLASSIFICATION_METRIC"] == "f1_macro"
    assert env["LIGHTSHIP_GATE__MIN_SEGMENT_ROWS"] == "75"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert load_settings(context={}).gate == gate


def test_an_unset_optional_field_is_left_out_so_the_function_keeps_the_default() -> None:
    env = group_environment("gate", GateSettings())
    assert "LIGHTSHIP_GATE__REGRESSION_MAX" not in env
    assert env["LIGHTSHIP_GATE__MAX_SEGMENT_GAP"] == "0.05"
