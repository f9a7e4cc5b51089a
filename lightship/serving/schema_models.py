"""Pydantic models of the API: fixed responses, and the request body built from the live bundle's schema.

The request's JSON schema is generated per loaded version from the row contract
(:func:`request_json_schema`), so ``/docs`` lists the live model's features with the values
each accepts, allowed categories and observed ranges. It documents the contract; the request
path validates with :class:`lightship.serving.validation.RowEncoder`, which follows the same
rules while it builds the model's numpy rows in the same pass, with a reason per field written
for the caller. :func:`instance_model` is a pydantic model of the plain types (the benchmark's
yardstick for validation speed).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from lightship.bundle.row_contract import ColumnRule, RowPolicy, compile_rules
from lightship.bundle.schema import Feature, FeatureSchema


class FieldErrorModel(BaseModel):
    index: int | None = Field(description="Index of the offending instance; null for the request as a whole")
    field: str = Field(description="Feature (or body field) at fault")
    reason: str


class ErrorResponse(BaseModel):
    error: str
    detail: list[FieldErrorModel] = Field(default_factory=list)
    request_id: str
    model_version: int | None = None


class PredictResponse(BaseModel):
    model_version: int
    predictions: list[Any] = Field(description="One prediction per instance, in request order")
    probabilities: list[list[float]] | None = Field(
        default=None, description="Classifiers: one probability per class (in `classes` order) per instance"
    )
    classes: list[Any] | None = None
    flagged: list[list[str]] | None = Field(
        default=None,
        description="With rows.out_of_range=flag: per instance, the features outside the range seen in training "
        "(scored all the same); null when no instance has one",
    )
    request_id: str
    ids: list[str] | None = Field(
        default=None,
        description="One prediction id per instance: the instance's own id field (serving.id_field, `id`) "
        "or `<request_id>:<index>`; labels are joined to predictions by it",
    )


class HealthResponse(BaseModel):
    status: Literal["ok", "no_model"]
    model_loaded: bool
    model_version: int | None
    deployment_revision: int | None
    last_load_failure: str | None = None
    record_error: str | None = None


class ModelResponse(BaseModel):
    model_version: int
    deployment: dict[str, Any]
    model: str | None
    task: str
    lineage: dict[str, Any]
    metrics: dict[str, Any]
    feature_schema: dict[str, Any]
    sklearn_version: str | None
    runtime: str = Field(description="what answers: onnx (ONNX Runtime) or sklearn (the pickled pipeline, the fallback)")
    runtime_reason: str | None = Field(None, description="why the scikit-learn fallback serves this version (None for onnx)")


def instance_model(schema: FeatureSchema, name: str = "Instance") -> type[BaseModel]:
    """One instance: every feature of the schema, by its own name (aliases allow any column name)."""
    fields: dict[str, Any] = {}
    for i, feature in enumerate(schema.features):
        fields[f"f{i}"] = (_annotation(feature), Field(alias=feature.name, description=_describe(feature)))
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        name, __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields
    )
    return model


def request_json_schema(
    schema: FeatureSchema, max_instances: int, ref_template: str, policy: RowPolicy | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(PredictRequest JSON schema, its definitions), refs pointing at ``ref_template``.

    Written from the row contract (:mod:`lightship.bundle.row_contract`), so what the document
    says an instance may hold is what the encoder accepts: numbers or their decimal text for
    numeric features, strings (and booleans where training saw booleans) for categorical ones,
    null or a blank string where training saw missing values, other keys left alone.
    """
    properties: dict[str, Any] = {}
    for rule in compile_rules(schema, policy):
        properties[rule.name] = {"anyOf": _value_schemas(rule), "description": _describe(rule.feature)}
    instance = {
        "title": "Instance",
        "type": "object",
        "description": "Every feature of the live model, by name; other keys (an id) are allowed and not scored.",
        "properties": properties,
        "required": [f.name for f in schema.features],
        "additionalProperties": True,
    }
    body = {
        "title": "PredictRequest",
        "type": "object",
        "properties": {
            "instances": {
                "type": "array",
                "items": {"$ref": ref_template.format(model="Instance")},
                "minItems": 1,
                "maxItems": max_instances,
            }
        },
        "required": ["instances"],
        "additionalProperties": False,
        "example": {"instances": [example_instance(schema)]},
    }
    return body, {"Instance": instance}


# Decimal text the contract reads as a number; the document promises a finite subset (at most
# 15 digits and a two-digit exponent), since "9e999" is decimal text too but no finite number.
NUMBER_TEXT = r"^\s*[+-]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})([eE][+-]?[0-9]{1,2})?\s*$"
BLANK_TEXT = r"^\s*$"
NOT_BLANK_TEXT = r"\S"


def _value_schemas(rule: ColumnRule) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    if rule.numeric:
        number: dict[str, Any] = {"type": "number"}
        if rule.policy.out_of_range == "reject" and rule.checks_range:
            number.update(minimum=rule.low, maximum=rule.high)
        values += [number, {"type": "string", "pattern": NUMBER_TEXT}]
    elif rule.closed is not None:
        values.append({"type": "string", "enum": sorted(rule.closed)})
        if rule.booleans:
            values.append({"type": "boolean", "enum": [v for v in (False, True) if str(v) in rule.closed]})
    else:
        values.append({"type": "string", "pattern": NOT_BLANK_TEXT})
        if rule.booleans:
            values.append({"type": "boolean"})
    if rule.nullable:
        values += [{"type": "null"}, {"type": "string", "pattern": BLANK_TEXT}]
    return values


def example_instance(schema: FeatureSchema) -> dict[str, Any]:
    example: dict[str, Any] = {}
    for feature in schema.features:
        if feature.kind == "categorical":
            example[feature.name] = feature.categories[0] if feature.categories else "value"
        elif feature.minimum is not None and feature.maximum is not None:
            example[feature.name] = round((feature.minimum + feature.maximum) / 2, 3)
        else:
            example[feature.name] = 0.0
    return example


def _annotation(feature: Feature) -> Any:
    if feature.kind == "numeric":
        base: Any = float
    elif feature.closed_categories and feature.categories:
        base = Literal[tuple(feature.categories)]  # type: ignore[misc]
    else:
        base = str
    return base | None if feature.nullable else base


def _describe(feature: Feature) -> str:
    parts = [f"{feature.kind} ({feature.dtype})"]
    if feature.kind == "numeric" and feature.minimum is not None:
        parts.append(f"seen in training: {feature.minimum:g} to {feature.maximum:g} (outside: see rows.out_of_range)")
    if feature.categories:
        closed = "only" if feature.closed_categories else "seen in training; others are scored as unknown"
        parts.append(f"categories ({closed}): {', '.join(feature.categories)}")
    parts.append("null or blank allowed" if feature.nullable else "required, not null or blank")
    return "; ".join(parts)
