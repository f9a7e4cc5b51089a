"""A settings group as the ``LIGHTSHIP_<GROUP>__<FIELD>`` environment variables :mod:`lightship.settings` reads.

A stack gives a function the groups its code reads this way, so a user's ``cdk.json`` values
apply on AWS, where the function has no ``cdk.json``. Every field of the group is passed (a
field added later travels too); an unset optional field (None) is left out, so the function
falls back to the same default.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

ENV_PREFIX = "LIGHTSHIP_"
NESTED = "__"


def group_environment(group: str, values: BaseModel) -> dict[str, str]:
    """``{"LIGHTSHIP_GATE__MIN_IMPROVEMENT": "0.01", ...}`` for ``group="gate"`` and ``settings.gate``."""
    out: dict[str, str] = {}
    for field, value in values.model_dump(mode="json").items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, (dict, list)):
            text = json.dumps(value, sort_keys=True)
        else:
            text = str(value)
        out[f"{ENV_PREFIX}{group.upper()}{NESTED}{field.upper()}"] = text
    return out
