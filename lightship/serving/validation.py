"""Request validation: JSON instances to an object row array in schema order, without pandas.

:class:`RowEncoder` is compiled once per live bundle from its feature schema and checks
every instance: missing and unknown features, wrong types, non-finite numbers, nulls
where training saw none, categories outside a closed set. It collects *every* problem
as ``(instance index, field, reason)`` before refusing, so a caller fixes a batch in one
round trip. The rows it builds are exactly what :func:`lightship.training.features.frame_to_rows`
builds for training and batch scoring (floats, strings, NaN for missing), so serving
cannot skew from training. Used by :mod:`lightship.serving.app`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightship.bundle.schema import FeatureSchema

MAX_REPORTED_ERRORS = 100  # enough to fix a batch; a 10,000-line error body helps no one
UNKNOWN_FEATURE = "unknown feature: the model was not trained on it"
MISSING_FEATURE = "missing: every feature is required (send null for a missing value)"
NAN = float("nan")
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
    """The request cannot be scored; ``status`` is 422 (bad content) or 413 (too large)."""

    def __init__(self, errors: list[FieldError], status: int = 422) -> None:
        super().__init__("; ".join(f"{e.index}/{e.field}: {e.reason}" for e in errors[:5]))
        self.errors = errors
        self.status = status


@dataclass(frozen=True)
class _Column:
    index: int
    name: str
    numeric: bool
    nullable: bool
    closed: frozenset[str] | None  # allowed categories when unseen ones are errors


class RowEncoder:
    """Turns ``[{feature: value}, ...]`` into an ``(n, features)`` object array, or raises :class:`InvalidRequest`."""

    def __init__(self, schema: FeatureSchema, max_instances: int) -> None:
        self.schema = schema
        self.max_instances = max_instances
        self.columns = tuple(
            _Column(
                index=i,
                name=f.name,
                numeric=f.kind == "numeric",
                nullable=f.nullable,
                closed=frozenset(f.categories) if (f.kind == "categorical" and f.closed_categories) else None,
            )
            for i, f in enumerate(schema.features)
        )
        self.names = frozenset(c.name for c in self.columns)

    def encode(self, payload: Any) -> np.ndarray:
        instances = self._instances(payload)
        width = len(self.columns)
        rows = np.empty((len(instances), width), dtype=object)
        # (instance, column position or -1 for the instance as a whole, error): sorted at the end so
        # the report reads instance by instance whatever order the checks ran in.
        errors: list[tuple[int, int, FieldError]] = []
        names = self.names
        all_objects = True
        for i, instance in enumerate(instances):
            if type(instance) is not dict:
                all_objects = False
                errors.append((i, -1, FieldError(i, "", f"an instance must be an object of feature values, got {_json_type(instance)}")))
            elif len(instance) != width or not names.issuperset(instance):
                for name in instance:
                    if name not in names:
                        errors.append((i, -1, FieldError(i, str(name), UNKNOWN_FEATURE)))
        # Column by column: one tight loop per feature, the common case (a valid value) decided
        # by a type check; anything else goes to _encode for its reason.
        for column in self.columns:
            name = column.name
            if all_objects:
                values = [instance.get(name, _MISSING) for instance in instances]
            else:
                values = [instance.get(name, _MISSING) if type(instance) is dict else _SKIP for instance in instances]
            numeric, nullable, closed = column.numeric, column.nullable, column.closed
            for i, value in enumerate(values):
                kind = type(value)
                if numeric:
                    if kind is float:
                        if value - value == 0.0:  # finite (inf - inf and nan - nan are nan)
                            continue
                    elif kind is int:
                        try:
                            values[i] = float(value)
                            continue
                        except OverflowError:
                            pass
                elif kind is str and (closed is None or value in closed):
                    continue
                if value is None and nullable:
                    values[i] = NAN
                    continue
                if value is _SKIP:
                    continue
                if value is _MISSING:
                    errors.append((i, column.index, FieldError(i, name, MISSING_FEATURE)))
                    continue
                encoded = _encode(column, value)
                if type(encoded) is _Reason:
                    errors.append((i, column.index, FieldError(i, name, encoded.text)))
                else:
                    values[i] = encoded
            if not errors:
                rows[:, column.index] = values
        if errors:
            errors.sort(key=lambda item: (item[0], item[1]))
            raise InvalidRequest([error for _, _, error in errors[:MAX_REPORTED_ERRORS]])
        return rows

    def _instances(self, payload: Any) -> list[Any]:
        if type(payload) is not dict:
            raise InvalidRequest([FieldError(None, "body", f'expected an object {{"instances": [...]}}, got {_json_type(payload)}')])
        extra = [key for key in payload if key != "instances"]
        if extra:
            raise InvalidRequest([FieldError(None, key, 'unknown field: the body holds only "instances"') for key in extra])
        instances = payload.get("instances")
        if type(instances) is not list:
            why = "missing" if "instances" not in payload else f"must be a list of objects, got {_json_type(instances)}"
            raise InvalidRequest([FieldError(None, "instances", why)])
        if not instances:
            raise InvalidRequest([FieldError(None, "instances", "empty: send at least one instance")])
        if len(instances) > self.max_instances:
            raise InvalidRequest(
                [FieldError(None, "instances", f"{len(instances)} instances; at most {self.max_instances} per request")],
                status=413,
            )
        return instances


class _Reason:
    """A validation failure, told apart from a (string) category value."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _encode(column: _Column, value: Any) -> Any:
    kind = type(value)
    if value is None:
        if column.nullable:
            return np.nan
        return _Reason("null, but training saw no missing values for this feature")
    if column.numeric:
        # bool is an int subclass in Python; true/false for a number is a client bug, not 1/0.
        if kind is float:
            if math.isfinite(value):
                return value
            return _Reason(f"not a finite number ({value})")
        if kind is int:
            try:
                return float(value)
            except OverflowError:
                return _Reason("number too large for a float")
        return _Reason(f"expected a number, got {_json_type(value)}")
    if kind is str:
        if column.closed is not None and value not in column.closed:
            allowed = ", ".join(sorted(column.closed))
            return _Reason(f"unknown category {value!r}; allowed: {allowed}")
        return value
    if kind is bool:
        # Training stores a bool column's categories as "True"/"False" (pandas astype(str)).
        text = str(value)
        if column.closed is not None and text not in column.closed:
            return _Reason(f"unknown category {text!r}; allowed: {', '.join(sorted(column.closed))}")
        return text
    return _Reason(f"expected a category (string), got {_json_type(value)}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
