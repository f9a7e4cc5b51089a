"""The settings a function gets as environment variables read back as the same settings (infra/settings_env.py)."""

from __future__ import annotations

import os

import pytest
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from infra.settings_env import settings_environment
from lightship.settings import Settings, load_settings


def _read_back(env: dict[str, str]) -> Settings:
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("LIGHTSHIP_") or k in ("AWS_REGION", "AWS_DEFAULT_REGION")]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        return load_settings(context={})


def test_choices_of_every_kind_survive_the_trip_through_the_environment() -> None:
    chosen = Settings.model_validate({
        "capture_prefix": "cap", "account": "111122223333",
        "gate": {"classification_metric": "f1_macro", "regression_max": 12.5, "min_segment_rows": 75},
        "release": {"steps": [5, 25, 50]},
        "batch": {"feature_thresholds": {"age": {"psi": 0.5}}, "id_column": "customer_id"},
        "retraining": {"on_drift": True, "schedule": "cron(0 6 ? * MON *)"},
        "training": {"segments": ["region", "plan"]},
        "estimate": {"requests_per_month": 5_000_000},
    })
    env = settings_environment(chosen)
    assert env["LIGHTSHIP_GATE__MIN_SEGMENT_ROWS"] == "75"
    assert env["LIGHTSHIP_RETRAINING__ON_DRIFT"] == "true"
    assert env["LIGHTSHIP_RELEASE__STEPS"] == "[5.0, 25.0, 50.0]"
    assert _read_back(env) == chosen


def test_defaults_stay_out_so_the_function_keeps_the_same_default() -> None:
    assert settings_environment(Settings()) == {}
    env = settings_environment(Settings.model_validate({"gate": {"min_improvement": 0.002}}))
    assert env == {"LIGHTSHIP_GATE__MIN_IMPROVEMENT": "0.002"}


@hsettings(max_examples=40, deadline=None)
@given(
    bake=st.floats(min_value=0.0, max_value=1e4, allow_nan=False),
    steps=st.lists(st.floats(min_value=0.5, max_value=99.5, allow_nan=False), min_size=1, max_size=4, unique=True).map(sorted),
    labels=st.from_regex(r"[a-z][a-z0-9/_-]{0,20}", fullmatch=True),
    id_column=st.one_of(st.none(), st.from_regex(r"[A-Za-z_][A-Za-z0-9_ ]{0,15}", fullmatch=True)),
)
def test_generated_choices_read_back_equal(bake: float, steps: list[float], labels: str, id_column: str | None) -> None:
    try:
        chosen = Settings.model_validate({"release": {"bake_minutes": bake, "steps": steps}, "quality": {"labels_prefix": labels},
                                          "batch": {"id_column": id_column}})
    except ValueError:
        assume(False)  # a combination the settings refuse is not a choice a user can make
        return
    assert _read_back(settings_environment(chosen)) == chosen
