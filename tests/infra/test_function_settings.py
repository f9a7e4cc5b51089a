"""Every function of the synthesized app reads the settings ``cdk synth`` read.

On AWS a function has no cdk.json: what it knows of the user's choices is its environment. Found
missing before this test: the retraining function ran canaries with the default steps and looked
for labels under the default prefix whatever cdk.json said. Here the app is synthesized with a
choice in every settings group, written out below; then each function's environment, loaded as
the function loads it, must give back each of those choices.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lightship.settings import Settings, load_settings

CHOICES: dict[str, Any] = {
    "training_prefix": "ds/train",
    "model_prefix": "bundles",
    "evaluation_prefix": "evals",
    "capture_prefix": "cap",
    "batch_output_prefix": "scores/out",
    "training": {"profile_bins": 12, "segments": ["region"]},
    "gate": {"min_improvement": 0.02, "regression_max": 9.5},
    "serving": {"capture_sample_rate": 0.25, "id_field": "request_id"},
    "batch": {"id_column": "customer_id", "psi_threshold": 0.3, "feature_thresholds": {"tenure_months": {"psi": 0.4}}},
    "rows": {"out_of_range": "reject"},
    "alarms": {"error_rate_threshold": 0.02},
    "release": {"steps": [5.0, 25.0, 50.0], "bake_minutes": 3.0},
    "quality": {"labels_prefix": "truth", "confidence": 0.9},
    "retraining": {"min_new_labels": 50, "window_days": 14},
}
LAMBDA_ENVIRONMENT_LIMIT = 4 * 1024  # bytes of keys and values, all variables of one function


def _choices() -> list[tuple[tuple[str, ...], Any]]:
    flat: list[tuple[tuple[str, ...], Any]] = []
    for key, value in CHOICES.items():
        if isinstance(value, dict) and key != "estimate":
            flat += [((key, sub), v) for sub, v in value.items()]
        else:
            flat.append(((key,), value))
    return flat


def _read(settings: Settings, path: tuple[str, ...]) -> Any:
    value: Any = settings
    for part in path:
        value = getattr(value, part)
    return value


@pytest.fixture(scope="module")
def functions(synth_app: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Lightship's functions (not CDK's own helpers) by logical id, with their environment variables."""
    app = synth_app(tmp_path_factory.mktemp("choices"), lightship=CHOICES, nag=False)
    found: dict[str, dict[str, Any]] = {}
    for concern, template in app.templates.items():
        for logical_id, resource in template.find_resources("AWS::Lambda::Function").items():
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            if "LIGHTSHIP_PROJECT" in variables:
                found[f"{concern}/{logical_id}"] = variables
    return found


def test_the_app_has_every_function_this_test_means(functions: dict[str, dict[str, Any]]) -> None:
    by_concern = sorted(name.split("/")[0] for name in functions)
    # four batch steps (resolve, plan, score a chunk, finalize); rollback; serving; release; quality; retraining
    assert by_concern == ["batch"] * 4 + ["monitoring", "quality", "release", "retraining", "serving"]


def test_each_function_reads_back_every_choice_cdk_json_made(functions: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    missed: dict[str, list[str]] = {}
    for name, variables in functions.items():
        with monkeypatch.context() as patch:
            for key in [k for k in os.environ if k.startswith("LIGHTSHIP_") or k in ("AWS_REGION", "AWS_DEFAULT_REGION")]:
                patch.delenv(key)
            patch.setenv("LIGHTSHIP_CDK_JSON", str(Path("/nonexistent/cdk.json")))  # as in the image: no cdk.json
            for key, value in variables.items():
                if isinstance(value, str):  # tokens (the account, resolved names) are not settings choices
                    patch.setenv(key, value)
            seen = load_settings()
        missed[name] = [f"{'.'.join(path)}={_read(seen, path)!r} (cdk.json: {value!r})"
                        for path, value in _choices() if _read(seen, path) != value]
    assert {name: wrong for name, wrong in missed.items() if wrong} == {}


def test_each_function_environment_fits_lambdas_limit(functions: dict[str, dict[str, Any]]) -> None:
    sizes = {name: sum(len(k) + len(v if isinstance(v, str) else json.dumps(v)) for k, v in variables.items())
             for name, variables in functions.items()}
    assert max(sizes.values()) < LAMBDA_ENVIRONMENT_LIMIT, sizes
