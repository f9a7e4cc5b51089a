"""Request validation: JSON instances to an object row array in schema order, without pandas.

:class:`RowEncoder` is compiled once per live bundle (and row policy) from the row contract
(:mod:`lightship.bundle.row_contract`, the rules training and batch scoring follow too) and
checks every instance. Its loop settles the common case (a finite in-range number, a known
category) with a type check; every other value goes to :meth:`ColumnRule.decide`, so the
verdicts, reasons and model inputs are the contract's. It collects *every* problem as
``(instance index, field, reason)`` before refusing, so a caller fixes a batch in one round
trip, and the features flagged out of range per instance. Used by :mod:`lightship.serving.app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lightship.bundle.row_contract import MISSING_FEATURE, NAN, RowPolicy, compile_rules, kind_of
from lightship.bundle.schema import FeatureSchema

MAX_REPORTED_ERRORS = 100  # enough to fix a batch; a 10,000-line error body helps no one
_MISSING = object()  # the instance has no such key
_SKIP = object()  # the instance is not an object (already reported)


@dataclass(frozen=True)
class FieldError:
    index: int | None  # instance index; None for the request as a whole
    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


class InvalidRequest(Exception):
    """The request cannot be scored; ``status`` is 422 (bad content), 413 (too large) or 400 (not parseable)."""

    def __init__(self, errors: list[FieldError], status: int = 422) -> None:
        super().__init__("; ".join(f"{e.index}/{e.field}: {e.reason}" for e in errors[:5]))
        self.errors = errors
        self.status = status


@dataclass
class RowCheck:
    """What :meth:`RowEncoder.check` found: the rows (complete only when there are no errors),
    every error in (instance, schema) order, and the flagged features of each instance."""

    rows: np.ndarray
    errors: list[FieldError]
    flagged: dict[int, list[str]]


class RowEncoder:
    """Turns ``[{feature: value}, ...]`` into an ``(n, features)`` object array, or raises :class:`InvalidRequest`."""

    def __init__(self, schema: FeatureSchema, max_instances: int, policy: RowPolicy | None = None) -> None:
        self.schema = schema
        self.max_instances = max_instances
        self.policy = policy or RowPolicy()
        self.rules = compile_rules(schema, self.policy)
        # Values the loop accepts as they are; everything else is decided by the rule.
        self._fast = tuple(
            (rule, frozenset(c for c in (rule.closed if rule.closed is not None else rule.known) if c.strip()))
            for rule in self.rules
        )

    def encode(self, payload: Any) -> np.ndarray:
        check = self.check(self.instances(payload))
        if check.errors:
            raise InvalidRequest(check.errors[:MAX_REPORTED_ERRORS])
        return check.rows

    def check(self, instances: list[Any]) -> RowCheck:
        """Every instance against the contract; never raises for bad values."""
        rows = np.empty((len(instances), len(self.rules)), dtype=object)
        # (instance, column position or -1 for the instance as a whole, error): sorted at the end so
        # the report reads instance by instance whatever order the checks ran in.
        errors: list[tuple[int, int, FieldError]] = []
        flagged: dict[int, list[str]] = {}
        all_objects = True
        for i, instance in enumerate(instances):
            if type(instance) is not dict:
                all_objects = False
                errors.append((i, -1, FieldError(i, "", f"an instance must be an object of feature values, got {kind_of(instance)}")))
        # Column by column: one tight loop per feature, the common case decided by a type check.
        for rule, fast in self._fast:
            name = rule.name
            if all_objects:
                values = [instance.get(name, _MISSING) for instance in instances]
            else:
                values = [instance.get(name, _MISSING) if type(instance) is dict else _SKIP for instance in instances]
            numeric, low, high, nullable = rule.numeric, rule.low, rule.high, rule.nullable
            for i, value in enumerate(values):
                kind = type(value)
                if value is None and nullable:
                    values[i] = NAN
                    continue
                if numeric:
                    # finite (inf - inf and nan - nan are nan) and inside the range
                    if kind is float and value - value == 0.0 and low <= value <= high:
                        continue
                    if kind is int and low <= value <= high:
                        try:
                            values[i] = float(value)
                            continue
                        except OverflowError:  # unbounded range and beyond a float: the rule says why
                            pass
                elif kind is str and value in fast:
                    continue
                if value is _SKIP:
                    values[i] = None
                    continue
                if value is _MISSING:
                    values[i] = None
                    errors.append((i, rule.index, FieldError(i, name, MISSING_FEATURE)))
                    continue
                decision = rule.decide(value)
                if decision.reason is not None:
                    values[i] = None  # refused (a list or an object would not fit a cell of the array)
                    errors.append((i, rule.index, FieldError(i, name, decision.reason)))
                    continue
                values[i] = decision.value
                if decision.flagged:
                    flagged.setdefault(i, []).append(name)
            rows[:, rule.index] = values  # refused cells hold None: only rows without errors are the model's
        found = [error for _, _, error in sorted(errors, key=lambda item: (item[0], item[1]))]
        return RowCheck(rows, found, flagged)

    def instances(self, payload: Any) -> list[Any]:
        """The ``instances`` list of a request body, or :class:`InvalidRequest` for a malformed body."""
        if type(payload) is not dict:
            raise InvalidRequest([FieldError(None, "body", f'expected an object {{"instances": [...]}}, got {kind_of(payload)}')])
        extra = [key for key in payload if key != "instances"]
        if extra:
            raise InvalidRequest([FieldError(None, key, 'unknown field: the body holds only "instances"') for key in extra])
        instances = payload.get("instances")
        if type(instances) is not list:
            why = "missing" if "instances" not in payload else f"must be a list of objects, got {kind_of(instances)}"
            raise InvalidRequest([FieldError(None, "instances", why)])
        if not instances:
            raise InvalidRequest([FieldError(None, "instances", "empty: send at least one instance")])
        if len(instances) > self.max_instances:
            raise InvalidRequest(
                [FieldError(None, "instances", f"{len(instances)} instances; at most {self.max_instances} per request")],
                status=413,
            )
        return instances


def flagged_list(flagged: dict[int, list[str]], count: int) -> list[list[str]] | None:
    """The response's ``flagged``: per instance, the features outside the training range; None when none are."""
    if not flagged:
        return None
    return [flagged.get(i, []) for i in range(count)]
