"""Names shared by the code that emits metrics and the stacks that alarm on them.

Serving and batch functions emit CloudWatch EMF through Powertools ``Metrics`` with
:data:`NAMESPACE`; the monitoring stack's alarms and dashboard read the same names,
so a rename cannot silently break an alarm.
"""

NAMESPACE = "Lightship"

# Dimensions
SERVICE_SERVING = "serving"
SERVICE_BATCH = "batch"
SERVICE_ROLLBACK = "rollback"
DIMENSION_MODEL_VERSION = "ModelVersion"
DIMENSION_ROLE = "Role"  # which part a version plays in serving: live, or a release's candidate
DIMENSION_FEATURE = "Feature"  # which input feature a per-feature metric (FEATURE_PSI) is about
ROLE_LIVE = "live"
ROLE_CANDIDATE = "candidate"

# Serving metrics (per request, with the ModelVersion dimension)
REQUESTS = "Requests"
ERRORS_4XX = "Errors4xx"
ERRORS_5XX = "Errors5xx"
LATENCY_MS = "LatencyMs"
INSTANCES = "Instances"
OUT_OF_RANGE_INSTANCES = "OutOfRangeInstances"  # scored instances with a feature outside the training range (rows.out_of_range=flag)
PREDICTION_FAILURES = "PredictionFailures"  # the model failed at predict time
MODEL_LOAD_FAILURES = "ModelLoadFailures"  # a new live bundle could not be loaded
SKLEARN_FALLBACKS = "SklearnFallbacks"  # a live bundle is served by scikit-learn, not ONNX Runtime (the reason is logged)

# Release metrics (serving, Role=candidate; the release function)
SHADOW_DISAGREEMENT = "ShadowDisagreement"  # share of a shadowed request's instances whose label differs from live's
SHADOW_SKIPPED = "ShadowSkipped"  # sampled for shadow but not scored (the shadow worker was still busy)
RELEASE_ABORTS = "ReleaseAborts"
RELEASE_PROMOTIONS = "ReleasePromotions"
SERVICE_RELEASE = "release"

# Batch metrics
ROWS_IN = "RowsIn"
ROWS_SCORED = "RowsScored"
ROWS_REJECTED = "RowsRejected"
ROWS_FLAGGED = "RowsFlagged"  # scored rows with a feature outside the training range
MAX_PSI = "MaxPsi"
DRIFTED_FEATURES = "DriftedFeatures"
FEATURE_PSI = "FeaturePsi"  # with the DIMENSION_FEATURE (and ModelVersion) dimensions

# Rollback metrics
ROLLBACKS = "Rollbacks"
ROLLBACK_IMPOSSIBLE = "RollbackImpossible"

# Retraining (its function's logs; the run's outcome is in the ledger, lightship/retraining/ledger.py)
SERVICE_RETRAINING = "retraining"

# Quality metrics (the quality job; {service, Role, ModelVersion}; breaches by {service, Role})
SERVICE_QUALITY = "quality"
REALIZED_ROC_AUC = "RealizedRocAuc"
REALIZED_ACCURACY = "RealizedAccuracy"
REALIZED_LOG_LOSS = "RealizedLogLoss"
REALIZED_BRIER = "RealizedBrier"
REALIZED_RMSE = "RealizedRmse"
REALIZED_MAE = "RealizedMae"
REALIZED_R2 = "RealizedR2"
ESTIMATED_ROC_AUC = "EstimatedRocAuc"
ESTIMATED_ACCURACY = "EstimatedAccuracy"
LABELED_PREDICTIONS = "LabeledPredictions"
UNLABELED_PREDICTIONS = "UnlabeledPredictions"
QUALITY_BREACH = "QualityBreach"  # 1: realized primary metric below holdout - tolerance with >= min_labels labels
ESTIMATED_QUALITY_BREACH = "EstimatedQualityBreach"  # 1: the CBPE estimate below holdout - estimate_tolerance
