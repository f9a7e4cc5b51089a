"""``lightship.training.script_args`` reads what SageMaker's own training toolkit passes.

The referee is the toolkit itself (``sagemaker-training``): its ``mapping.to_cmd_args`` builds
the command line and its ``mapping.to_env_vars`` the ``SM_HPS`` variable from the values it
JSON-decoded out of ``hyperparameters.json``, as the scikit-learn container does.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sagemaker_training import environment, mapping

from lightship.s3uri import S3Uri
from lightship.training.launcher import hyperparameters
from lightship.training.script_args import (
    HyperparameterError,
    decode_argument,
    parse_command_line,
    read_hyperparameters,
)


def _toolkit_decodes(encoded: dict[str, str]) -> dict[str, Any]:
    """The toolkit's own ``environment.read_hyperparameters``, reading ``encoded`` as the platform
    writes ``hyperparameters.json`` (its path, fixed at the toolkit's import, pointed at a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hyperparameters.json"
        path.write_text(json.dumps(encoded))
        with mock.patch.object(environment, "hyperparameters_file_dir", str(path)):
            decoded: dict[str, Any] = environment.read_hyperparameters()
    return decoded


def _container_sees(values: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The command line and environment the toolkit gives the entry point for these hyperparameters."""
    decoded = _toolkit_decodes({k: json.dumps(v) for k, v in values.items()})
    return mapping.to_cmd_args(decoded), mapping.to_env_vars({"hps": decoded})


SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("one letter", {"C": 0.5}),
    ("several letters", {"max_iter": 200}),
    ("underscores", {"min_samples_leaf": 3, "holdout_fraction": 0.25}),
    ("booleans", {"fit_intercept": False, "warm_start": True}),
    ("floats", {"tol": 1e-05, "l2_regularization": 0.0, "learning_rate": -0.5}),
    ("strings", {"model": "logistic", "penalty": "l2", "target": "churned flag"}),
    ("none", {"max_depth": None}),
    ("lists of numbers", {"hidden": [1, 2.5, -3]}),
    ("lists of strings", {"categories": ["a", "b c", "it's"]}),
    ("negative one-letter", {"C": -1}),
]


@pytest.mark.parametrize(("shape", "values"), SHAPES, ids=[s for s, _ in SHAPES])
def test_command_line_alone_reads_back_every_shape(shape: str, values: dict[str, Any]) -> None:
    argv, _ = _container_sees(values)
    assert parse_command_line(argv) == values


@pytest.mark.parametrize(("shape", "values"), SHAPES, ids=[s for s, _ in SHAPES])
def test_command_line_with_sm_hps_reads_back_every_shape(shape: str, values: dict[str, Any]) -> None:
    argv, env = _container_sees(values)
    assert read_hyperparameters(argv, env) == values


def test_one_letter_names_come_with_one_dash() -> None:
    argv, _ = _container_sees({"C": 0.5, "max_iter": 10})
    assert argv == ["-C", "0.5", "--max_iter", "10"]
    assert parse_command_line(argv) == {"C": 0.5, "max_iter": 10}


def test_what_str_loses_comes_back_from_sm_hps() -> None:
    values = {"label": "1", "class_weight": {"0": 1, "1": 3}, "empty": ""}
    argv, env = _container_sees(values)
    assert argv == ["--class_weight", "0=1,1=3", "--empty", "", "--label", "1"]
    assert parse_command_line(argv) == {"class_weight": "0=1,1=3", "empty": None, "label": 1}
    assert read_hyperparameters(argv, env) == values


def test_the_launchers_hyperparameters_reach_the_script_intact() -> None:
    encoded = hyperparameters("churned", "logistic", None, 7, {"C": 0.5, "fit_intercept": False}, S3Uri("b", "code/s.tar.gz"), "eu-west-1", 0.2, 20)
    decoded = _toolkit_decodes(encoded)
    user = {k: v for k, v in decoded.items() if not k.startswith("sagemaker_")}
    argv = mapping.to_cmd_args(user)
    assert "-C" in argv
    assert parse_command_line(argv) == {"target": "churned", "model": "logistic", "seed": 7, "holdout_fraction": 0.2,
                                        "profile_bins": 20, "C": 0.5, "fit_intercept": False}


names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)
scalars = st.one_of(st.booleans(), st.none(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.from_regex(r"[a-z][a-z _.]{0,10}", fullmatch=True).filter(lambda s: s.strip() not in {"true", "false", "null"}))
values = st.one_of(scalars, st.lists(st.one_of(st.integers(-100, 100), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)), max_size=4))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(names, values, max_size=6))
def test_generated_hyperparameters_read_back_exactly(hps: dict[str, Any]) -> None:
    argv, env = _container_sees(hps)
    assert read_hyperparameters(argv, env) == hps
    alone = parse_command_line(argv)
    assert set(alone) == set(hps)
    for key, value in hps.items():
        if not isinstance(value, str):
            assert alone[key] == value, (key, argv)


@pytest.mark.parametrize("argv", [["stray"], ["--C"], ["-"], ["--"], ["-12", "3"], ["-ab", "1"]])
def test_a_command_line_the_toolkit_cannot_make_is_refused(argv: list[str]) -> None:
    with pytest.raises(HyperparameterError):
        parse_command_line(argv)


def test_bad_sm_hps_is_refused() -> None:
    with pytest.raises(HyperparameterError, match="SM_HPS"):
        read_hyperparameters([], {"SM_HPS": "{not json"})


def test_decode_argument_keeps_plain_strings() -> None:
    assert decode_argument("hist_gradient_boosting") == "hist_gradient_boosting"
    assert decode_argument("a=1,b=2") == "a=1,b=2"
