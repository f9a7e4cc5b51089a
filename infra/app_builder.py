"""Composition of Lightship's CDK app: which stacks exist and how they are wired.

``app.py`` and the tests in ``tests/infra`` both call :func:`build_app`, so the
tests check exactly what ``cdk synth``/``cdk deploy`` produce. Stacks (serving, batch,
monitoring, release, quality, retraining) are instantiated here, taking the buckets, table and
role they need from the stacks returned so far.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.settings_env import settings_environment
from infra.stacks.alerts import AlertsProps, AlertsStack
from infra.stacks.batch import BatchProps, BatchStack
from infra.stacks.monitoring import MonitoringProps, MonitoringStack
from infra.stacks.quality import QualityProps, QualityStack
from infra.stacks.registry import RegistryProps, RegistryStack
from infra.stacks.release import ReleaseProps, ReleaseStack
from infra.stacks.retraining import RetrainingProps, RetrainingStack
from infra.stacks.serving import ServingProps, ServingStack
from infra.stacks.storage import StorageProps, StorageStack
from lightship.monitoring.alarms import alarm_specs, candidate_alarm_names
from lightship.resources import Resources, resources_for
from lightship.settings import REPO_ROOT, Settings, load_settings


def cdk_json_context(cdk_json: Path | None = None) -> dict[str, Any]:
    """The whole ``context`` object of ``cdk.json``: the ``lightship`` settings and the feature flags.

    The CLI passes it to the app itself, but a plain ``python app.py`` or a test's
    ``cdk.App()`` would not see it, and would synthesize with other feature flags
    (e.g. access-log delivery by ACL instead of bucket policy). Given to
    ``cdk.App(context=...)`` it acts as defaults: values from the CLI still win.
    """
    path = cdk_json or REPO_ROOT / "cdk.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def settings_from_context(value: Any) -> Settings:
    """Settings from the app's ``lightship`` context value.

    The CLI hands cdk.json's object through as a dict, ``-c lightship='{...}'`` as a
    JSON string; a plain ``python app.py`` sees no context, and then
    :func:`load_settings` reads ``cdk.json`` itself.
    """
    if value is None:
        return load_settings()
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise TypeError(f"context 'lightship' must be an object or a JSON string of one, got {type(value).__name__}")
    return load_settings(context=value)


def stack_env() -> cdk.Environment | None:
    """The account/region the CLI resolved, or None for environment-agnostic stacks.

    The CLI sets CDK_DEFAULT_ACCOUNT/REGION from the caller's credentials; without
    them (offline synth, tests) the stacks use AWS::AccountId / AWS::Region tokens
    and deploy anywhere.
    """
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    if not account and not region:
        return None
    return cdk.Environment(account=account or None, region=region or None)


def enable_nag(app: cdk.App) -> None:
    """Run cdk-nag's AwsSolutions pack at synth: an unacknowledged finding fails it.

    cdk-nag 3 is a validation plugin, not an Aspect (Aspects.of(app).add fails with it).
    """
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def stack_names(settings: Settings, env: cdk.Environment | None = None) -> Resources:
    """Every resource name, as the stacks see them: the env's account and region when pinned, else the
    ``AWS::AccountId`` / ``AWS::Region`` tokens (what ``Stack.account`` / ``Stack.region`` give), so a
    name always matches the place of deployment, never the settings' default region."""
    account = env.account if env is not None and env.account else cdk.Aws.ACCOUNT_ID
    region = env.region if env is not None and env.region else cdk.Aws.REGION
    return resources_for(settings, account, region=region)


def storage_props(settings: Settings, names: Resources) -> StorageProps:
    return StorageProps(names=names)


def registry_props(settings: Settings, names: Resources) -> RegistryProps:
    return RegistryProps(names=names, training_prefix=settings.training_prefix, model_prefix=settings.model_prefix,
                         code_prefix=settings.code_prefix)


def alerts_props(settings: Settings, names: Resources) -> AlertsProps:
    return AlertsProps(names=names, alert_email=settings.alarms.alert_email)


def batch_props(settings: Settings, names: Resources) -> BatchProps:
    return BatchProps(names=names, batch=settings.batch, settings_env=settings_environment(settings),
                      model_prefix=settings.model_prefix, batch_input_prefix=settings.batch_input_prefix,
                      batch_output_prefix=settings.batch_output_prefix, batch_rejects_prefix=settings.batch_rejects_prefix,
                      batch_report_prefix=settings.batch_report_prefix)


def monitoring_props(settings: Settings, names: Resources) -> MonitoringProps:
    return MonitoringProps(names=names, alarms=tuple(alarm_specs(settings)), evaluation_prefix=settings.evaluation_prefix,
                           shadow_disagreement_threshold=settings.release.shadow_disagreement_threshold,
                           psi_threshold=settings.batch.psi_threshold, settings_env=settings_environment(settings))


def serving_props(settings: Settings, names: Resources) -> ServingProps:
    return ServingProps(names=names, serving=settings.serving, settings_env=settings_environment(settings), model_prefix=settings.model_prefix,
                        capture_prefix=settings.capture_prefix, release_prefix=settings.release.prefix)


def release_props(settings: Settings, names: Resources) -> ReleaseProps:
    return ReleaseProps(names=names, candidate_alarms=candidate_alarm_names(settings), evaluation_prefix=settings.evaluation_prefix,
                        memory_mb=settings.release.memory_mb, settings_env=settings_environment(settings))


def quality_props(settings: Settings, names: Resources) -> QualityProps:
    return QualityProps(names=names, quality=settings.quality, settings_env=settings_environment(settings), model_prefix=settings.model_prefix,
                        evaluation_prefix=settings.evaluation_prefix, capture_prefix=settings.capture_prefix,
                        batch_output_prefix=settings.batch_output_prefix)


def retraining_props(settings: Settings, names: Resources) -> RetrainingProps:
    return RetrainingProps(names=names, retraining=settings.retraining, settings_env=settings_environment(settings), labels_prefix=settings.quality.labels_prefix,
                           training_prefix=settings.training_prefix, model_prefix=settings.model_prefix,
                           evaluation_prefix=settings.evaluation_prefix, capture_prefix=settings.capture_prefix,
                           batch_output_prefix=settings.batch_output_prefix)


def build_app(
    app: cdk.App,
    settings: Settings,
    *,
    env: cdk.Environment | None = None,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
) -> dict[str, cdk.Stack]:
    """Instantiate every Lightship stack in ``app``; returns them by concern name.

    Stack ids are ``{project}-{concern}`` so ``cdk deploy lightship-storage`` names
    one, and two projects can live in one account. Each stack gets its props (what it
    needs, built above from the settings) and the names of :func:`stack_names`.

    Stacks refer to each other's resources by name, not by passing constructs: a construct
    reference across stacks becomes a CloudFormation export (``Fn::ImportValue``) that pins the
    exported resource (it could not be replaced while imported), that cdk-nag's acknowledgement ids
    would have to spell, and that the emulator's provisioning from templates (lightship/local/
    stack_templates.py) does not resolve. So the deploy order is explicit: each dependency below,
    with its reason.
    """
    names = stack_names(settings, env)
    project = names.project
    cdk.Tags.of(app).add("project", project)

    def stack(cls: Any, concern: str, props: Any, description: str, **extra: Any) -> Any:
        return cls(app, names.stack(concern), props=props, env=env, description=f"{project}: {description}", **extra)

    storage = stack(StorageStack, "storage", storage_props(settings, names), "data, artifact and access-log buckets.",
                    removal_policy=removal_policy)
    registry = stack(RegistryStack, "registry", registry_props(settings, names),
                     "model registry, SageMaker training role, deployment record.", removal_policy=removal_policy)
    registry.add_stack_dependency(storage, "the training role's policy names the storage buckets")
    alerts = stack(AlertsStack, "alerts", alerts_props(settings, names), "alerts topic (drift, failed batch runs, alarms).")
    batch = stack(BatchStack, "batch", batch_props(settings, names), "scheduled batch scoring and drift checks on Step Functions.")
    for needed, why in ((storage, "reads and writes the storage buckets"), (registry, "reads the deployment record"),
                        (alerts, "publishes to the alerts topic")):
        batch.add_stack_dependency(needed, why)
    monitoring = stack(MonitoringStack, "monitoring", monitoring_props(settings, names),
                       "alarms on the live endpoint, automatic rollback, dashboard.")
    for needed, why in ((registry, "the rollback function rewrites the deployment record"),
                        (alerts, "alarms and the rollback function notify the alerts topic")):
        monitoring.add_stack_dependency(needed, why)
    serving = stack(ServingStack, "serving", serving_props(settings, names),
                    "online predictions, Lambda (FastAPI + Mangum) behind an authenticated HTTPS API.")
    for needed, why in ((storage, "reads model bundles and writes inference capture"), (registry, "reads the deployment record")):
        serving.add_stack_dependency(needed, why)
    release = stack(ReleaseStack, "release", release_props(settings, names),
                    "gradual release (canary, shadow) state machine on the deployment record.")
    for needed, why in ((registry, "steps the deployment record's release and rejects aborted candidates"),
                        (monitoring, "checks the candidate alarms the monitoring stack defines")):
        release.add_stack_dependency(needed, why)
    quality = stack(QualityStack, "quality", quality_props(settings, names),
                    "scheduled quality run (labels joined to predictions, realized and estimated metrics).")
    for needed, why in ((storage, "reads predictions and labels, writes reports"), (registry, "reads the registry and deployment record"),
                        (alerts, "publishes to the alerts topic")):
        quality.add_stack_dependency(needed, why)
    retraining = stack(RetrainingStack, "retraining", retraining_props(settings, names),
                       "retraining on drift, quality alarms or a schedule, through the gate and a canary.")
    for needed, why in ((storage, "reads predictions, labels and training data, writes dataset versions"),
                        (registry, "registers versions, writes the ledger beside the deployment record"),
                        (alerts, "subscribes to and publishes on the alerts topic"),
                        (release, "starts the release state machine")):
        retraining.add_stack_dependency(needed, why)
    return {"storage": storage, "registry": registry, "alerts": alerts, "batch": batch, "monitoring": monitoring,
            "serving": serving, "release": release, "quality": quality, "retraining": retraining}
