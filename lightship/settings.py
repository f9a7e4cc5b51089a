"""Every setting a user may change, with typed defaults, read in one place.

Precedence, lowest first: the defaults below, the ``lightship`` object in
``cdk.json``'s context (or ``cdk deploy -c lightship='{...}'``), then environment
variables (``LIGHTSHIP_GATE__MIN_IMPROVEMENT=0.01``; ``__`` reaches into a group).
The CDK app (``app.py``), the CLI, the local emulator and the Lambda functions all
call :func:`load_settings`; names derive from it in :mod:`lightship.resources`; the stacks pass resolved names to the functions as
environment variables, so a function never needs ``cdk.json``.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lightship.errors import LightshipError
from lightship.versions import SAGEMAKER_SKLEARN_FRAMEWORK_VERSION

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTEXT_KEY = "lightship"

# The estimators ``lightship train --model`` offers (built in lightship.training.models).
ModelName = Literal["logistic", "random_forest", "hist_gradient_boosting"]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)


class TrainingSettings(BaseModel):
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1)
    volume_size_gb: int = Field(default=10, ge=1)
    max_runtime_seconds: int = Field(default=3600, ge=60)
    framework_version: str = SAGEMAKER_SKLEARN_FRAMEWORK_VERSION
    default_model: ModelName = "hist_gradient_boosting"
    holdout_fraction: float = Field(default=0.2, gt=0.0, lt=0.9)
    seed: int = 42
    profile_bins: int = Field(default=20, ge=4, le=200)
    # Columns whose values get their own holdout metrics (``lightship train --segments`` overrides);
    # the gate then holds a version whose worst segment trails (GateSettings.max_segment_gap).
    segments: list[str] = Field(default_factory=list)
    segment_confidence: float = Field(default=0.95, gt=0.5, lt=1.0)


# Regression metrics where lower is better (errors, in the target's units); the gate flips its comparisons for them.
LOWER_IS_BETTER: frozenset[str] = frozenset({"rmse", "mae"})


class GateSettings(BaseModel):
    """The quality gate: an absolute bar and a margin over the current champion.

    ``min_improvement`` is in the gate metric's own units: a new version must beat the
    champion by at least that much (and strictly). The default, 0.01, is one point of ROC
    AUC or R²: a retrain on the same data and parameters scores exactly the champion's
    metric and is held, and so is a change too small to be worth a release (on a
    1,000-row holdout ROC AUC moves by about that much between equally good models).
    With ``rmse`` or ``mae``, set it in the target's units.
    """

    classification_metric: Literal["roc_auc", "accuracy", "f1_macro"] = "roc_auc"
    classification_min: float = 0.75
    regression_metric: Literal["r2", "rmse", "mae"] = "r2"
    regression_min: float = 0.5  # the bar for r2 (higher is better)
    # The bar for rmse / mae (lower is better), in the target's units; required when one is the metric.
    regression_max: float | None = Field(default=None, gt=0.0)
    min_improvement: float = Field(default=0.01, ge=0.0)
    # Segment metrics (training.segments): a version whose worst segment's gate metric trails the
    # overall by more than this (the metric's own units) waits for a person, and so does one with a
    # segment of fewer than min_segment_rows holdout rows (too small to judge; the reason gives the count).
    max_segment_gap: float = Field(default=0.05, ge=0.0)
    min_segment_rows: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _error_metric_needs_a_bar(self) -> GateSettings:
        if self.regression_metric in LOWER_IS_BETTER and self.regression_max is None:
            raise ValueError(
                f"gate.regression_metric is {self.regression_metric} (lower is better): set gate.regression_max, "
                "the largest error a version may have, in the target's units"
            )
        return self


class ServingSettings(BaseModel):
    memory_mb: int = Field(default=2048, ge=128, le=10240)
    timeout_seconds: int = Field(default=15, ge=1, le=29)
    record_ttl_seconds: float = Field(default=10.0, ge=0.0)
    max_instances: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    capture_sample_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    id_field: str = Field(default="id", min_length=1)  # an instance's own prediction id, echoed in `ids`
    throttle_rate_limit: int = Field(default=100, ge=1)
    throttle_burst_limit: int = Field(default=200, ge=1)
    auth: Literal["iam", "jwt"] = "iam"
    jwt_issuer: str | None = None
    jwt_audience: list[str] = Field(default_factory=list)
    reserved_concurrency: int | None = None
    # A custom domain's API mapping path (e.g. "ml" for https://api.example.com/ml/...): the app's root path.
    api_base_path: str = ""


class BatchSettings(BaseModel):
    schedule: str = "cron(0 3 * * ? *)"
    chunk_rows: int = Field(default=200_000, ge=1)
    map_concurrency: int = Field(default=4, ge=1)
    distributed_map_threshold: int = Field(default=40, ge=1)
    memory_mb: int = Field(default=3008, ge=128, le=10240)
    timeout_seconds: int = Field(default=900, ge=1, le=900)
    psi_threshold: float = Field(default=0.2, gt=0.0)
    ks_threshold: float = Field(default=0.1, gt=0.0)
    feature_thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)
    # The input column that identifies a row (scores and rejects carry it; a missing or repeated
    # id is rejected). None: a row is identified by its file and logical row number only.
    id_column: str | None = Field(default=None, min_length=1)


class RowSettings(BaseModel):
    """The row contract's policy, shared by serving and batch: the fields of
    :class:`lightship.bundle.row_contract.RowPolicy` (``RowPolicy(**settings.rows.model_dump())``)."""

    # A number outside the range seen in training: accept (score silently), flag (score and count;
    # serving lists the flagged features per instance, batch counts them in the manifest), reject
    # (a 422 / a reject row with the reason).
    out_of_range: Literal["accept", "flag", "reject"] = "flag"
    # The range is the training minimum/maximum widened on both sides by this fraction of their span.
    range_tolerance: float = Field(default=0.0, ge=0.0)


class AlarmSettings(BaseModel):
    error_rate_threshold: float = Field(default=0.05, gt=0.0, le=1.0)
    p99_latency_ms: float = Field(default=1000.0, gt=0.0)
    model_failure_threshold: float = Field(default=5.0, gt=0.0)
    period_seconds: int = Field(default=60, ge=10)
    evaluation_periods: int = Field(default=3, ge=1)
    datapoints_to_alarm: int = Field(default=2, ge=1)
    alert_email: str | None = None


class ReleaseSettings(BaseModel):
    """Gradual release (docs/release.md): canary steps, baking, traffic needed, shadow sampling."""

    steps: list[float] = Field(default_factory=lambda: [10.0, 50.0])  # canary weights (%), then promotion
    bake_minutes: float = Field(default=10.0, ge=0.0)  # each step's baking time
    min_requests: int = Field(default=100, ge=0)  # the candidate must answer this many per step
    max_holds: int = Field(default=3, ge=0)  # bakes a step may repeat for too little traffic before aborting
    shadow_sample_rate: float = Field(default=0.5, gt=0.0, le=1.0)
    shadow_deadline_ms: float = Field(default=100.0, gt=0.0)  # how long a request waits for the shadow's answer
    shadow_disagreement_threshold: float = Field(default=0.1, gt=0.0, le=1.0)  # share of labels differing
    prefix: str = "release"  # shadow records and reports in the data bucket
    memory_mb: int = Field(default=256, ge=128, le=10240)  # the release function's


class QualitySettings(BaseModel):
    """Realized and estimated model quality (docs/quality.md): labels joined to predictions per version."""

    schedule: str = "cron(0 5 * * ? *)"  # after the batch run (03:00): that day's scores are in
    window_days: int = Field(default=30, ge=1, le=400)  # predictions and labels of this many days are joined
    min_labels: int = Field(default=200, ge=1)  # fewer labels for a version: no verdict, no alarm
    tolerance: float = Field(default=0.05, ge=0.0)  # realized primary metric may sit this far below the holdout's
    estimate_tolerance: float = Field(default=0.05, ge=0.0)  # the same, for the CBPE estimate (alert only)
    on_breach: Literal["alert", "rollback"] = "alert"  # what the realized-quality alarm of the live version does
    id_column: str = Field(default="id", min_length=1)  # labels file: the prediction id column
    label_column: str = Field(default="label", min_length=1)  # labels file: the ground truth column
    labels_prefix: str = "labels"  # labels/date=D/*.parquet (the interface for users' own pipelines)
    report_prefix: str = "quality/reports"
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    memory_mb: int = Field(default=3008, ge=128, le=10240)


class RetrainingSettings(BaseModel):
    """Closing the loop (docs/retraining.md): what starts a retraining run, and what it needs."""

    on_drift: bool = False  # a batch run's drift alert starts a run (opt-in: the loop releases on its own)
    on_quality: bool = False  # the realized-quality alarm starts a run (opt-in)
    schedule: str | None = None  # e.g. "cron(0 6 ? * MON *)"; None: no scheduled runs
    window_days: int = Field(default=30, ge=1, le=400)  # labeled rows of this many days join the training set
    min_new_labels: int = Field(default=200, ge=1)  # fewer new labeled rows: no run, recorded with the reason
    # This share of the new labeled rows (picked by id hash) is held out of training; the gate scores the retrained
    # version and the champion on exactly those rows (docs/retraining.md). 0: the gate compares each one's own holdout.
    holdout_fraction: float = Field(default=0.25, ge=0.0, lt=1.0)
    cooldown_hours: float = Field(default=24.0, ge=0.0)  # after a run ends, triggers wait this long
    poll_seconds: int = Field(default=60, ge=1)  # the state machine's wait between looks at the training job
    stale_run_hours: float = Field(default=12.0, gt=0.0)  # a run holding the lock this long is presumed dead
    # A training job still running after this long: the run fails (alert, lock freed) instead of waiting for
    # the machine's own timeout (stale_run_hours), which would end it with neither.
    training_timeout_minutes: float = Field(default=240.0, gt=0.0)
    datasets_prefix: str = "datasets"  # under the training prefix: assembled dataset versions
    memory_mb: int = Field(default=3008, ge=128, le=10240)

    @model_validator(mode="after")
    def _training_fits_in_the_run(self) -> RetrainingSettings:
        # The tasks around training (each may take its 15-minute Lambda limit, retried) need the other half.
        if self.training_timeout_minutes > self.stale_run_hours * 30:
            raise ValueError(f"retraining.training_timeout_minutes ({self.training_timeout_minutes:g}) must be at most half of "
                             f"retraining.stale_run_hours ({self.stale_run_hours:g} h), the run's own timeout")
        return self


class Settings(BaseSettings):
    """The resolved settings; ``lightship config`` prints them."""

    model_config = SettingsConfigDict(env_prefix="LIGHTSHIP_", env_nested_delimiter="__", extra="ignore")

    project: str = Field(default="lightship", pattern=r"^[a-z][a-z0-9-]{1,20}$")
    region: str = "us-east-1"
    # The account the names are derived for; None: the function's own (its ARN) or the caller's (STS).
    account: str | None = None
    model_package_group: str = "lightship-models"
    # Bucket names default to ``{project}-{role}-{account}-{region}`` (globally unique);
    # set them to use buckets of your own naming. Every derived name: lightship/resources.py.
    data_bucket: str | None = None
    artifact_bucket: str | None = None
    training_prefix: str = "training"
    model_prefix: str = "models"
    code_prefix: str = "code"
    evaluation_prefix: str = "evaluations"
    batch_input_prefix: str = "batch/input"
    batch_output_prefix: str = "batch/output"
    batch_rejects_prefix: str = "batch/rejects"
    batch_report_prefix: str = "batch/reports"
    capture_prefix: str = "capture"
    deployment_table: str | None = None
    sagemaker_role_name: str | None = None

    training: TrainingSettings = Field(default_factory=TrainingSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    serving: ServingSettings = Field(default_factory=ServingSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    rows: RowSettings = Field(default_factory=RowSettings)
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    release: ReleaseSettings = Field(default_factory=ReleaseSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    retraining: RetrainingSettings = Field(default_factory=RetrainingSettings)
    # Prices, quotas and load assumptions of ``lightship estimate``: overrides of the typed, sourced defaults in
    # lightship/estimate/prices.py (validated there, when an estimate is made: they stay off the serving cold start).
    estimate: dict[str, Any] = Field(default_factory=dict)


class SettingsError(LightshipError):
    """A setting that fails validation; the message names each field and why."""


def read_cdk_context(cdk_json: Path | None = None) -> dict[str, Any]:
    """The ``lightship`` object from ``cdk.json``'s context, or ``{}`` where there is no file."""
    path = cdk_json or Path(os.environ.get("LIGHTSHIP_CDK_JSON", REPO_ROOT / "cdk.json"))
    if not path.is_file():
        return {}
    context = json.loads(path.read_text()).get("context", {})
    value = context.get(CONTEXT_KEY, {})
    return json.loads(value) if isinstance(value, str) else dict(value)


def load_settings(context: dict[str, Any] | None = None) -> Settings:
    """Defaults, then ``context`` (``cdk.json`` when not given), then ``LIGHTSHIP_*`` env vars."""
    base = read_cdk_context() if context is None else context
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region and "region" not in base:
        base = {**base, "region": region}
    try:
        env_values = Settings().model_dump(exclude_unset=True)  # only what LIGHTSHIP_* set
        return Settings.model_validate(_deep_merge(base, env_values))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"invalid settings (cdk.json context 'lightship' or LIGHTSHIP_* variables): {problems}") from exc


@lru_cache(maxsize=1)
def cached_settings() -> Settings:
    """Settings for long-lived processes (Lambda): read once per cold start."""
    return load_settings()


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
