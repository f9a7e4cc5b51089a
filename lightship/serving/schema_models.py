"""Pydantic models of the API: fixed responses, and the request body built from the live bundle's schema.

The request model is generated per loaded version (:func:`instance_model`), so
``/docs`` lists the live model's features with their types, allowed categories and
observed ranges. It documents the contract; the request path validates with
:class:`lightship.serving.validation.RowEncoder` instead, which checks the same rules
while it builds the model's numpy rows in the same pass, in about the time pydantic takes
to validate alone (bench/README.md), with a reason per field written for the caller.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

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
    request_id: str


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


def instance_model(schema: FeatureSchema, name: str = "Instance") -> type[BaseModel]:
    """One instance: every feature of the schema, by its own name (aliases allow any column name)."""
    fields: dict[str, Any] = {}
    for i, feature in enumerate(schema.features):
        fields[f"f{i}"] = (_annotation(feature), Field(alias=feature.name, description=_describe(feature)))
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        name, __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields
    )
    return model


def request_json_schema(schema: FeatureSchema, max_instances: int, ref_template: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(PredictRequest JSON schema, its definitions), refs pointing at ``ref_template``."""
    instance = instance_model(schema)
    request = create_model(  # type: ignore[call-overload]
        "PredictRequest",
        __config__=ConfigDict(extra="forbid"),
        instances=(list[instance], Field(min_length=1, max_length=max_instances)),  # type: ignore[valid-type]
    )
    body = request.model_json_schema(by_alias=True, ref_template=ref_template)
    definitions = body.pop("$defs", {})
    body["example"] = {"instances": [example_instance(schema)]}
    return body, definitions


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
        parts.append(f"seen in training: {feature.minimum:g} to {feature.maximum:g}")
    if feature.categories:
        closed = "only" if feature.closed_categories else "seen in training; others are scored as unknown"
        parts.append(f"categories ({closed}): {', '.join(feature.categories)}")
    parts.append("null allowed" if feature.nullable else "required, not null")
    return "; ".join(parts)
