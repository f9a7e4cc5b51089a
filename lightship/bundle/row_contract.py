"""The row contract: what a value may be for each feature of a bundle, what the model gets for it,
and why a row is refused or flagged. The one place these rules live.

Training (:mod:`lightship.training.features`), serving (:class:`lightship.serving.validation.RowEncoder`,
one JSON instance at a time, no pandas) and batch scoring (:func:`batch.validate.validate`, a
column at a time) all derive from :class:`ColumnRule`: serving and batch call
:meth:`ColumnRule.decide` for every value their own fast paths do not settle, batch calls
:meth:`ColumnRule.check_floats` for whole float columns, and tests/unit/bundle/test_row_contract.py
feeds generated rows to both paths and requires the same verdicts, reasons and model inputs.

The rules, per value (a JSON value, or a cell of a CSV/Parquet column):

* **Missing**: null, NaN, or a blank string (empty or only whitespace): a blank CSV cell is the
  same missing value as a JSON null. Allowed where training saw missing values (the model
  imputes); otherwise refused.
* **Numeric feature**: a finite number, or a string holding a decimal number (``"12"``,
  ``" -1.5e3 "``: CSV cells are text, and a column with one bad cell is read as text). A
  boolean, any other string, ±inf, or a number too large for a 64-bit float is refused.
* **Categorical feature**: a string, as written (not trimmed). A boolean only where training
  saw booleans (its categories are ``False``/``True``), and then it is ``"True"``/``"False"``, as
  training wrote it. Numbers are refused. Where the schema closes the set
  (``closed_categories``), a category unseen in training is refused; otherwise the model
  scores it as unknown.
* **Out of range**: a number outside the range seen in training, widened on both sides by
  ``range_tolerance`` × (maximum − minimum). What happens is :attr:`RowPolicy.out_of_range`
  (setting ``rows.out_of_range``): ``accept`` (score, say nothing), ``flag`` (score, and report
  the feature as flagged; the default), ``reject`` (refuse the row).

Keys and columns: every feature must be present (a row without the key, or a file without the
column, is refused: a typo would otherwise be scored as missing); other keys and columns are
not the model's and are left alone (an instance's id, a file's extra columns).

Reserved names: batch scoring writes its own columns next to the input's (:data:`OUTPUT_COLUMNS`
and ``probability_<class>``). A feature, or an input column, by one of those names would be
overwritten in the scores, so training refuses such a feature and a batch run quarantines such
a file, naming the column (:func:`reserved_columns`).

Reasons carry no value, so batch can count rejects per reason; serving names the instance
and field beside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from lightship.bundle.schema import Feature, FeatureSchema

OutOfRangePolicy = Literal["accept", "flag", "reject"]
OUT_OF_RANGE_POLICIES: tuple[str, ...] = ("accept", "flag", "reject")

MISSING_FEATURE = "missing: every feature is required (send null for a missing value)"
REQUIRED = "missing, but training saw no missing values for this feature"
NOT_FINITE = "not a finite number"
NAN = float("nan")
BOOLEAN_CATEGORIES = frozenset({"False", "True"})
# What the encoder sees for a missing category: the scikit-learn pipeline's imputer writes it in
# place of NaN, and the ONNX model (which takes a string tensor, where NaN cannot be) gets it from
# :mod:`lightship.bundle.predictors`. A category spelled exactly like this is the missing one.
MISSING_CATEGORY = "__missing__"
# The columns batch scoring writes beside the input's own: the scores carry the prediction, one
# probability per class (classifiers), the model version, the run and the row's identity (its file
# and logical row number); the rejects carry the reason and the identity.
PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"
MODEL_VERSION = "model_version"
RUN_ID = "run_id"
SOURCE_URI = "source_uri"
SOURCE_ROW = "source_row"
REJECT_REASON = "reject_reason"
OUTPUT_COLUMNS = (PREDICTION, MODEL_VERSION, RUN_ID, SOURCE_URI, SOURCE_ROW, REJECT_REASON)
RESERVED = (f"reserved: batch scoring writes its own column by this name ({', '.join(OUTPUT_COLUMNS)} and "
            f"{PROBABILITY_PREFIX}<class>); rename it")
# A decimal number as text: what JSON, CSV writers and people write. Python's float() would also
# take "1_000", "nan" and "infinity"; those are not numbers a data file means.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class RowPolicy:
    """What to do with numbers outside the training range (``rows`` in :mod:`lightship.settings`)."""

    out_of_range: OutOfRangePolicy = "flag"
    range_tolerance: float = 0.0  # fraction of (maximum - minimum) added on both sides


def kind_of(value: Any) -> str:
    """The JSON name of a value's type, as reasons say it."""
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "a boolean"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def expected_number(value: Any) -> str:
    return f"expected a number, got {kind_of(value)}"


def expected_category(value: Any) -> str:
    return f"expected a category (string), got {kind_of(value)}"


def is_blank(value: Any) -> bool:
    """An empty or whitespace-only string: missing, like a blank CSV cell."""
    return type(value) is str and not value.strip()


def is_missing(value: Any) -> bool:
    """None, NaN or a blank string (``pandas.NA`` and ``NaT`` are made None by the batch reader)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return is_blank(value)


@dataclass(frozen=True)
class Decision:
    """One value's fate: the model's input for it, or why the row is refused; and whether it is flagged."""

    value: Any  # float / str / NaN for the model; None when refused
    reason: str | None = None
    flagged: bool = False


class ColumnRule:
    """The contract for one feature, compiled once per bundle (and policy)."""

    __slots__ = (
        "booleans", "closed", "feature", "high", "index", "known", "low", "name", "nullable", "numeric",
        "out_of_range_reason", "policy",
    )

    def __init__(self, index: int, feature: Feature, policy: RowPolicy) -> None:
        self.index = index
        self.feature = feature
        self.name = feature.name
        self.policy = policy
        self.numeric = feature.kind == "numeric"
        self.nullable = feature.nullable
        categories = frozenset(feature.categories)
        self.known = categories  # the categories training saw (never blank)
        self.closed = categories if (not self.numeric and feature.closed_categories) else None
        self.booleans = not self.numeric and (
            feature.dtype in ("bool", "boolean") or (bool(categories) and categories <= BOOLEAN_CATEGORIES)
        )
        low, high = feature.minimum, feature.maximum
        if self.numeric and policy.out_of_range != "accept" and low is not None and high is not None:
            margin = policy.range_tolerance * (high - low)
            self.low, self.high = low - margin, high + margin
            self.out_of_range_reason = f"outside the range seen in training [{_g(self.low)}, {_g(self.high)}]"
        else:
            self.low, self.high = -math.inf, math.inf
            self.out_of_range_reason = ""

    @property
    def checks_range(self) -> bool:
        return self.low != -math.inf or self.high != math.inf

    def decide(self, value: Any) -> Decision:
        """The contract for one value (the slow, complete path; fast paths must agree with it)."""
        if isinstance(value, np.generic):
            value = value.item()
        if is_missing(value):
            return Decision(NAN) if self.nullable else Decision(None, REQUIRED)
        if self.numeric:
            return self._number(value)
        return self._category(value)

    def _number(self, value: Any) -> Decision:
        kind = type(value)
        if kind is bool:  # an int subclass in Python; true/false for a number is a client bug, not 1/0
            return Decision(None, expected_number(value))
        if kind is float:
            number = value
        elif kind is int:
            try:
                number = float(value)
            except OverflowError:
                return Decision(None, NOT_FINITE)
        elif kind is str:
            text = value.strip()
            if _NUMBER.fullmatch(text) is None:
                return Decision(None, expected_number(value))
            number = float(text)
        else:
            return Decision(None, expected_number(value))
        if not math.isfinite(number):
            return Decision(None, NOT_FINITE)
        return self.in_range(number)

    def in_range(self, number: float) -> Decision:
        """A finite number against the training range and the policy."""
        if self.low <= number <= self.high:
            return Decision(number)
        if self.policy.out_of_range == "reject":
            return Decision(None, self.out_of_range_reason)
        return Decision(number, flagged=True)

    def _category(self, value: Any) -> Decision:
        kind = type(value)
        if kind is str:
            text = value
        elif kind is bool and self.booleans:
            text = "True" if value else "False"  # as training wrote booleans (pandas astype(str))
        else:
            return Decision(None, expected_category(value))
        if self.closed is not None and text not in self.closed:
            return Decision(None, self.unknown_category_reason)
        return Decision(text)

    @property
    def unknown_category_reason(self) -> str:
        return f"unknown category; allowed: {', '.join(sorted(self.closed or ()))}"

    def check_floats(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A float64 column at once: (model inputs, refused mask, reasons for refused rows, flagged mask).

        The same verdicts as :meth:`decide` on each element (tests/unit/bundle/test_row_contract.py).
        """
        x = np.asarray(values, dtype=float)
        n = x.size
        reasons = np.full(n, None, dtype=object)
        missing = np.isnan(x)
        refused = np.zeros(n, dtype=bool)
        if missing.any() and not self.nullable:
            refused |= missing
            reasons[missing] = REQUIRED
        infinite = np.isinf(x)
        if infinite.any():
            refused |= infinite
            reasons[infinite] = NOT_FINITE
        flagged = np.zeros(n, dtype=bool)
        if self.checks_range:
            outside = (x < self.low) | (x > self.high)
            outside &= ~missing & ~infinite
            if outside.any():
                if self.policy.out_of_range == "reject":
                    refused |= outside
                    reasons[outside] = self.out_of_range_reason
                else:
                    flagged = outside
        return x, refused, reasons, flagged


def compile_rules(schema: FeatureSchema, policy: RowPolicy | None = None) -> tuple[ColumnRule, ...]:
    """One rule per feature, in schema (= model input) order."""
    policy = policy or RowPolicy()
    return tuple(ColumnRule(i, f, policy) for i, f in enumerate(schema.features))


def _g(x: float) -> str:
    return f"{x:g}"


def probability_column(cls: Any) -> str:
    return f"{PROBABILITY_PREFIX}{cls}"


def reserved_columns(columns: Iterable[Any]) -> list[str]:
    """The names among ``columns`` that batch scoring writes itself, in their order."""
    return [str(c) for c in columns if str(c) in OUTPUT_COLUMNS or str(c).startswith(PROBABILITY_PREFIX)]
