"""Hyperparameters as SageMaker's training toolkit hands them to a script-mode entry point.

The toolkit (``sagemaker-training``, what the scikit-learn container runs) reads
``hyperparameters.json`` (every value a JSON-encoded string), JSON-decodes each value, and
calls the entry point with ``mapping.to_cmd_args``: keys sorted, ``--name value`` for names
of two or more characters and ``-C value`` for one-letter names, each value rendered with
Python's ``str()`` (so ``True``, ``None`` as the empty string, ``['a', 'b']``, and a dict as
``a=1,b=2``). It also sets ``SM_HPS`` to the JSON of the decoded values.

:func:`read_hyperparameters` inverts that: the command line decoded value by value, then
``SM_HPS``'s exact values over it where the toolkit set it (``str()`` loses types the JSON
keeps: a string ``"1"`` or a dict). Called by ``training_jobs/train.py``; shipped with it.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any


class HyperparameterError(ValueError):
    """A command line or ``SM_HPS`` the toolkit could not have produced."""


def decode_argument(raw: str) -> Any:
    """One value as ``str()`` of a JSON-decoded hyperparameter rendered it: JSON, then a Python
    literal (``True``, ``None``, ``['a', 'b']``), the empty string as ``None``, else the string."""
    if raw == "":
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return raw


def parse_command_line(argv: Sequence[str]) -> dict[str, Any]:
    """``--name value`` and ``-C value`` pairs to a dict (names as given, values decoded)."""
    hps: dict[str, Any] = {}
    it = iter(argv)
    for token in it:
        if token.startswith("--") and len(token) > 2:
            name = token[2:]
        elif token.startswith("-") and len(token) == 2 and not token[1].isdigit() and token[1] != "-":
            name = token[1]
        else:
            raise HyperparameterError(f"unexpected argument {token!r}: expected --name value, or -X value for a one-letter name")
        value = next(it, None)
        if value is None:
            raise HyperparameterError(f"hyperparameter {token} has no value")
        hps[name] = decode_argument(value)
    return hps


def read_hyperparameters(argv: Sequence[str], environ: Mapping[str, str]) -> dict[str, Any]:
    """The script's hyperparameters: the command line, with ``SM_HPS``'s exact values over it."""
    hps = parse_command_line(argv)
    raw = environ.get("SM_HPS")
    if raw:
        try:
            exact = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HyperparameterError(f"SM_HPS is not JSON: {exc}") from exc
        if not isinstance(exact, dict):
            raise HyperparameterError("SM_HPS is not a JSON object")
        hps.update(exact)
    return hps
