"""The alarms, defined once: the monitoring stack builds them in CDK, the emulator with boto3.

Serving alarms watch a role's series: the serving code emits every metric under two
dimension sets, ``{service, Role, ModelVersion}`` for the dashboard and ``{service, Role}``
for these alarms (an alarm cannot sum across versions), ``Role`` being ``live`` or
``candidate`` (a release's canary or shadow). So the alarms are static: the live ones
watch ``Role=live`` and roll back; the candidate ones watch ``Role=candidate`` and abort
the release (:mod:`lightship.rollback.candidate`). Which version a live alarm is about is the
one the deployment record had live when it fired (:mod:`lightship.rollback.decision`).

``rolls_back`` separates "the live version is broken" (error rate, p99 latency,
function errors, model failures: routed to the rollback topic and the alerts topic)
from "someone should look" (throttles, which more capacity fixes and an older model
would not; drift from batch runs; a rollback that could not happen: alerts only).
Thresholds, period and datapoints come from ``settings.alarms`` (``cdk.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lightship import observability as names
from lightship.resources import names_for
from lightship.settings import Settings

LAMBDA_NAMESPACE = "AWS/Lambda"
Comparison = Literal["GreaterThanThreshold", "GreaterThanOrEqualToThreshold"]


@dataclass(frozen=True)
class MetricRef:
    id: str
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str  # Sum | Maximum | p99 ...

    @property
    def dimension_map(self) -> dict[str, str]:
        return dict(self.dimensions)


@dataclass(frozen=True)
class AlarmSpec:
    key: str  # construct id in the stack
    name: str
    description: str
    metrics: tuple[MetricRef, ...]
    expression: str | None  # metric math over the metrics' ids; None: the single metric itself
    threshold: float
    comparison: Comparison
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int
    rolls_back: bool  # notifies the rollback topic (a live alarm rolls back, a candidate alarm aborts the release)
    role: str = "none"  # live | candidate | none: which serving role the alarm watches


def candidate_alarm_names(settings: Settings) -> frozenset[str]:
    """The alarms that abort a release (the rollback handler tells them from live alarms by name)."""
    return frozenset(spec.name for spec in alarm_specs(settings) if spec.role == names.ROLE_CANDIDATE)


def serving_dimensions(role: str = names.ROLE_LIVE) -> tuple[tuple[str, str], ...]:
    return (("service", names.SERVICE_SERVING), (names.DIMENSION_ROLE, role))


def alarm_specs(settings: Settings) -> list[AlarmSpec]:
    a = settings.alarms
    p = settings.project
    function = (("FunctionName", names_for(settings).serving_function),)
    window: dict[str, Any] = {"period_seconds": a.period_seconds, "evaluation_periods": a.evaluation_periods, "datapoints_to_alarm": min(a.datapoints_to_alarm, a.evaluation_periods)}
    return [
        *role_alarm_specs(settings, names.ROLE_LIVE, window),
        AlarmSpec(
            key="FunctionErrorsAlarm",
            name=f"{p}-serving-function-errors",
            description="Invocation errors of the serving function (crashes, timeouts): the live version is broken. Rolls back.",
            metrics=(MetricRef("errors", LAMBDA_NAMESPACE, "Errors", function, "Sum"),),
            expression=None,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=True,
            role=names.ROLE_LIVE,
            **window,
        ),
        *candidate_alarm_specs(settings, window),
        AlarmSpec(
            key="ThrottlesAlarm",
            name=f"{p}-serving-throttles",
            description="The serving function is throttled: raise concurrency or API limits. Notifies; does not roll back.",
            metrics=(MetricRef("throttles", LAMBDA_NAMESPACE, "Throttles", function, "Sum"),),
            expression=None,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=False,
            **window,
        ),
        AlarmSpec(
            key="DriftAlarm",
            name=f"{p}-batch-drift",
            description="A batch run found features drifted past their thresholds. Notifies; does not roll back.",
            metrics=(MetricRef("drifted", names.NAMESPACE, names.DRIFTED_FEATURES, (("service", names.SERVICE_BATCH),), "Maximum"),),
            expression=None,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=False,
            period_seconds=3600,
            evaluation_periods=1,
            datapoints_to_alarm=1,
        ),
        *quality_alarm_specs(settings),
        AlarmSpec(
            key="RollbackImpossibleAlarm",
            name=f"{p}-rollback-impossible",
            description="An alarm wanted a rollback but none was safe (no older Approved version, or already rolled back). A person must act.",
            metrics=(MetricRef("impossible", names.NAMESPACE, names.ROLLBACK_IMPOSSIBLE, (("service", names.SERVICE_ROLLBACK),), "Sum"),),
            expression=None,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=False,
            period_seconds=60,
            evaluation_periods=1,
            datapoints_to_alarm=1,
        ),
    ]


@dataclass(frozen=True)
class _Role:
    key: str  # construct id prefix
    slug: str  # alarm name part
    whose: str  # the requests the alarm counts
    who: str
    effect: str


_ROLES = {
    names.ROLE_LIVE: _Role("", "serving", "the live version's requests", "the live version", "Rolls back."),
    names.ROLE_CANDIDATE: _Role("Candidate", "candidate", "the release candidate's requests (canary) or shadow calls",
                                "the release candidate", "Aborts the release."),
}


def role_alarm_specs(settings: Settings, role: str, window: dict[str, Any]) -> list[AlarmSpec]:
    """The health checks a serving role is held to, written once: the live version's (which roll back) and
    the release candidate's (which abort the release) are the same metrics, thresholds and window under
    their own ``Role`` dimension. Static, since serving tags the candidate's metrics ``Role=candidate``
    whatever its version; both notify the rollback topic, whose handler tells them apart by name."""
    a = settings.alarms
    p = settings.project
    r = _ROLES[role]
    dims = serving_dimensions(role)
    return [
        AlarmSpec(
            key=f"{r.key}ErrorRateAlarm",
            name=names_for(settings).serving_error_alarm if role == names.ROLE_LIVE else names_for(settings).candidate_error_alarm,
            description=f"Share of {r.whose} answered 5xx above {a.error_rate_threshold:g}. {r.effect}",
            metrics=(
                MetricRef("errors", names.NAMESPACE, names.ERRORS_5XX, dims, "Sum"),
                MetricRef("requests", names.NAMESPACE, names.REQUESTS, dims, "Sum"),
            ),
            expression="IF(requests > 0, errors / requests, 0)",
            threshold=a.error_rate_threshold,
            comparison="GreaterThanThreshold",
            rolls_back=True,
            role=role,
            **window,
        ),
        AlarmSpec(
            key=f"{r.key}LatencyP99Alarm",
            name=f"{p}-{r.slug}-p99-latency",
            description=f"p99 latency of {r.who} above {a.p99_latency_ms:g} ms. {r.effect}",
            metrics=(MetricRef("latency", names.NAMESPACE, names.LATENCY_MS, dims, "p99"),),
            expression=None,
            threshold=a.p99_latency_ms,
            comparison="GreaterThanThreshold",
            rolls_back=True,
            role=role,
            **window,
        ),
        AlarmSpec(
            key=f"{r.key}ModelFailuresAlarm",
            name=f"{p}-{r.slug}-model-failures",
            description=f"The model of {r.who} failed to predict or to load at least {a.model_failure_threshold:g} times a period. {r.effect}",
            metrics=(
                MetricRef("predict", names.NAMESPACE, names.PREDICTION_FAILURES, dims, "Sum"),
                MetricRef("load", names.NAMESPACE, names.MODEL_LOAD_FAILURES, dims, "Sum"),
            ),
            expression="FILL(predict, 0) + FILL(load, 0)",
            threshold=a.model_failure_threshold,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=True,
            role=role,
            **window,
        ),
    ]


def candidate_alarm_specs(settings: Settings, window: dict[str, Any]) -> list[AlarmSpec]:
    """The candidate's alarms: its role's health checks (:func:`role_alarm_specs`) and, in a shadow
    release, its disagreement with the live version. They abort the release."""
    p = settings.project
    candidate = serving_dimensions(names.ROLE_CANDIDATE)
    return [
        *role_alarm_specs(settings, names.ROLE_CANDIDATE, window),
        AlarmSpec(
            key="ShadowDisagreementAlarm",
            name=f"{p}-shadow-disagreement",
            description=(f"In a shadow release, the share of instances whose label differs from the live version's is above "
                         f"{settings.release.shadow_disagreement_threshold:g}. Aborts the release."),
            metrics=(MetricRef("disagreement", names.NAMESPACE, names.SHADOW_DISAGREEMENT, candidate, "Average"),),
            expression=None,
            threshold=settings.release.shadow_disagreement_threshold,
            comparison="GreaterThanThreshold",
            rolls_back=True,
            role=names.ROLE_CANDIDATE,
            **window,
        ),
    ]


def quality_alarm_specs(settings: Settings) -> list[AlarmSpec]:
    """The quality job's verdicts on the live version (lightship.quality.job puts ``QualityBreach`` and
    ``EstimatedQualityBreach``, 0 or 1, under ``{service: quality, Role: live}`` on every run).

    Realized quality below the holdout's minus ``quality.tolerance`` with at least
    ``quality.min_labels`` labels: ``quality.on_breach`` chooses an alert or a rollback through the
    rollback topic (the same handler and decision as the serving alarms). An estimated drop: alert only."""
    q = settings.quality
    p = settings.project
    dims = (("service", names.SERVICE_QUALITY), (names.DIMENSION_ROLE, names.ROLE_LIVE))
    rolls_back = q.on_breach == "rollback"
    once: dict[str, Any] = {"period_seconds": 3600, "evaluation_periods": 1, "datapoints_to_alarm": 1}
    return [
        AlarmSpec(
            key="QualityAlarm",
            name=names_for(settings).quality_alarm,
            description=(f"Realized {settings.gate.classification_metric}/{settings.gate.regression_metric} of the live version "
                         f"below its holdout's minus {q.tolerance:g} on at least {q.min_labels} labels. "
                         + ("Rolls back." if rolls_back else "Notifies; does not roll back (quality.on_breach=alert).")),
            metrics=(MetricRef("breach", names.NAMESPACE, names.QUALITY_BREACH, dims, "Maximum"),),
            expression=None,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=rolls_back,
            role=names.ROLE_LIVE if rolls_back else "none",
            **once,
        ),
        AlarmSpec(
            key="QualityEstimateAlarm",
            name=f"{p}-quality-estimated",
            description=f"The CBPE estimate for the live version's unlabelled predictions is below its holdout's minus {q.estimate_tolerance:g}. Notifies.",
            metrics=(MetricRef("estimated", names.NAMESPACE, names.ESTIMATED_QUALITY_BREACH, dims, "Maximum"),),
            expression=None,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            rolls_back=False,
            **once,
        ),
    ]
