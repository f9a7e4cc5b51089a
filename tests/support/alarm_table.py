"""The alarms the stacks must define, written once for the tests from the docs' alarm tables
(docs/rollback.md, docs/release.md, docs/quality.md), not read from the code that builds them
(lightship/monitoring/alarms.py): a renamed alarm, a changed metric or threshold there fails the
infra test (the synthesized template) and the integration test (what the emulator provisions).
"""

from __future__ import annotations

from typing import Any

GT, GE = "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"
LIVE = (("Role", "live"), ("service", "serving"))
CANDIDATE = (("Role", "candidate"), ("service", "serving"))
FUNCTION = (("FunctionName", "lightship-serving"),)
QUALITY = (("Role", "live"), ("service", "quality"))
# For the default project "lightship". Each alarm: the series it watches (namespace, metric, dimensions, statistic),
# its threshold (a setting's path, or a number), its comparison and whether it notifies the rollback
# topic ("quality" follows quality.on_breach).
ALARM_TABLE: dict[str, tuple[set[tuple[str, str, tuple[tuple[str, str], ...], str]], str | float, str, bool | str]] = {
    "lightship-serving-error-rate": ({("Lightship", "Errors5xx", LIVE, "Sum"), ("Lightship", "Requests", LIVE, "Sum")},
                                     "alarms.error_rate_threshold", GT, True),
    "lightship-serving-p99-latency": ({("Lightship", "LatencyMs", LIVE, "p99")}, "alarms.p99_latency_ms", GT, True),
    "lightship-serving-function-errors": ({("AWS/Lambda", "Errors", FUNCTION, "Sum")}, 1.0, GE, True),
    "lightship-serving-model-failures": ({("Lightship", "PredictionFailures", LIVE, "Sum"), ("Lightship", "ModelLoadFailures", LIVE, "Sum")},
                                         "alarms.model_failure_threshold", GE, True),
    "lightship-candidate-error-rate": ({("Lightship", "Errors5xx", CANDIDATE, "Sum"), ("Lightship", "Requests", CANDIDATE, "Sum")},
                                       "alarms.error_rate_threshold", GT, True),
    "lightship-candidate-p99-latency": ({("Lightship", "LatencyMs", CANDIDATE, "p99")}, "alarms.p99_latency_ms", GT, True),
    "lightship-candidate-model-failures": ({("Lightship", "PredictionFailures", CANDIDATE, "Sum"),
                                            ("Lightship", "ModelLoadFailures", CANDIDATE, "Sum")},
                                           "alarms.model_failure_threshold", GE, True),
    "lightship-shadow-disagreement": ({("Lightship", "ShadowDisagreement", CANDIDATE, "Average")},
                                      "release.shadow_disagreement_threshold", GT, True),
    "lightship-serving-throttles": ({("AWS/Lambda", "Throttles", FUNCTION, "Sum")}, 1.0, GE, False),
    "lightship-batch-drift": ({("Lightship", "DriftedFeatures", (("service", "batch"),), "Maximum")}, 1.0, GE, False),
    "lightship-quality-realized": ({("Lightship", "QualityBreach", QUALITY, "Maximum")}, 1.0, GE, "quality"),
    "lightship-quality-estimated": ({("Lightship", "EstimatedQualityBreach", QUALITY, "Maximum")}, 1.0, GE, False),
    "lightship-rollback-impossible": ({("Lightship", "RollbackImpossible", (("service", "rollback"),), "Sum")}, 1.0, GE, False),
}


def watched(alarm: dict[str, Any]) -> set[tuple[str, str, tuple[tuple[str, str], ...], str]]:
    """The series an alarm reads: its one metric, or every MetricStat of its metric math."""
    def series(metric: dict[str, Any], stat: str) -> tuple[str, str, tuple[tuple[str, str], ...], str]:
        dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
        return (metric["Namespace"], metric["MetricName"], dims, stat)

    if alarm.get("Metrics"):  # moto describes a single-metric alarm with an empty list here
        return {series(q["MetricStat"]["Metric"], q["MetricStat"]["Stat"]) for q in alarm["Metrics"] if "MetricStat" in q}
    return {series(alarm, alarm.get("Statistic") or alarm["ExtendedStatistic"])}


def rolls_back(settings: Any, expected: bool | str) -> bool:
    return settings.quality.on_breach == "rollback" if expected == "quality" else bool(expected)
