"""The settings ``cdk synth`` read, as the ``LIGHTSHIP_*`` environment variables :mod:`lightship.settings` reads.

A function on AWS has no ``cdk.json``: without these it would run on the defaults, whatever the
user chose (a retraining run's canary steps, the labels prefix, the id column…). Every stack
gives every function :func:`settings_environment`: each choice that differs from its default,
at top level (``LIGHTSHIP_CAPTURE_PREFIX``) or in a group (``LIGHTSHIP_RELEASE__STEPS``), so a
function reads the same settings whatever part of them its code uses, and a field added later
travels too. Defaults are left out: the function's default is the same code's, and Lambda
caps a function's whole environment at 4 KB. tests/infra/test_function_settings.py checks the
round trip for every function of the synthesized app.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from lightship.observability import NAMESPACE
from lightship.resources import Resources
from lightship.settings import Settings

ENV_PREFIX = str(Settings.model_config["env_prefix"])  # "LIGHTSHIP_": what lightship.settings reads
NESTED = str(Settings.model_config["env_nested_delimiter"])  # "__"


def settings_environment(settings: Settings) -> dict[str, str]:
    """``{"LIGHTSHIP_CAPTURE_PREFIX": "cap", "LIGHTSHIP_RELEASE__STEPS": "[5.0, 25.0]", ...}``: the user's choices."""
    out: dict[str, str] = {}
    for field, value in settings.model_dump(mode="json", exclude_defaults=True).items():
        if isinstance(getattr(settings, field), BaseModel):
            out.update({_name(field, sub): _text(v) for sub, v in value.items() if v is not None})
        elif value is not None:
            out[_name(field)] = _text(value)
    return out


def _name(field: str, sub: str | None = None) -> str:
    return f"{ENV_PREFIX}{field.upper()}" + (f"{NESTED}{sub.upper()}" if sub is not None else "")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def function_environment(choices: dict[str, str], names: Resources, account: str, service: str) -> dict[str, str]:
    """A Lightship function's whole environment: the settings' ``choices`` (:func:`settings_environment`),
    then every resolved name, so it never asks STS or derives a name at cold start
    (:func:`lightship.resources.current_resources`), and Powertools' service and namespace."""
    return {
        **choices,
        _name("project"): names.project,
        _name("account"): account,
        _name("data_bucket"): names.data_bucket,
        _name("artifact_bucket"): names.artifact_bucket,
        _name("deployment_table"): names.deployment_table,
        _name("model_package_group"): names.model_package_group,
        _name("sagemaker_role_name"): names.sagemaker_role_name,
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
        # Gradient boosting's OpenMP threads oversubscribe Lambda's vCPUs on small calls.
        "OMP_NUM_THREADS": "1",
    }
