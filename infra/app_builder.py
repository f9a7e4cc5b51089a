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

from infra.stacks.alerts import AlertsStack
from infra.stacks.batch import BatchStack
from infra.stacks.monitoring import MonitoringStack
from infra.stacks.quality import QualityStack
from infra.stacks.registry import RegistryStack
from infra.stacks.release import ReleaseStack
from infra.stacks.retraining import RetrainingStack
from infra.stacks.serving import ServingStack
from infra.stacks.storage import StorageStack
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


def build_app(
    app: cdk.App,
    settings: Settings,
    *,
    env: cdk.Environment | None = None,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
) -> dict[str, cdk.Stack]:
    """Instantiate every Lightship stack in ``app``; returns them by concern name.

    Stack ids are ``{project}-{concern}`` so ``cdk deploy lightship-storage`` names
    one, and two projects can live in one account.
    """
    project = settings.project
    cdk.Tags.of(app).add("project", project)

    storage = StorageStack(
        app,
        f"{project}-storage",
        settings=settings,
        removal_policy=removal_policy,
        env=env,
        description=f"{project}: data, artifact and access-log buckets.",
    )
    registry = RegistryStack(
        app,
        f"{project}-registry",
        settings=settings,
        data_bucket_name=storage.data_bucket_name,
        artifact_bucket_name=storage.artifact_bucket_name,
        removal_policy=removal_policy,
        env=env,
        description=f"{project}: model registry, SageMaker training role, deployment record.",
    )
    # Bucket names, not exports, cross the stack boundary: order the deploys explicitly.
    registry.add_stack_dependency(storage, "the training role's policy names the storage buckets")
    alerts = AlertsStack(app, f"{project}-alerts", settings=settings, env=env,
                         description=f"{project}: alerts topic (drift, failed batch runs, alarms).")
    batch = BatchStack(
        app,
        f"{project}-batch",
        settings=settings,
        data_bucket_name=storage.data_bucket_name,
        artifact_bucket_name=storage.artifact_bucket_name,
        env=env,
        description=f"{project}: scheduled batch scoring and drift checks on Step Functions.",
    )
    for needed, why in ((storage, "reads and writes the storage buckets"), (registry, "reads the deployment record"),
                        (alerts, "publishes to the alerts topic")):
        batch.add_stack_dependency(needed, why)
    monitoring = MonitoringStack(
        app,
        f"{project}-monitoring",
        settings=settings,
        artifact_bucket_name=storage.artifact_bucket_name,
        env=env,
        description=f"{project}: alarms on the live endpoint, automatic rollback, dashboard.",
    )
    for needed, why in ((registry, "the rollback function rewrites the deployment record"),
                        (alerts, "alarms and the rollback function notify the alerts topic")):
        monitoring.add_stack_dependency(needed, why)
    serving = ServingStack(
        app,
        f"{project}-serving",
        settings=settings,
        data_bucket_name=storage.data_bucket_name,
        artifact_bucket_name=storage.artifact_bucket_name,
        env=env,
        description=f"{project}: online predictions, Lambda (FastAPI + Mangum) behind an authenticated HTTPS API.",
    )
    for needed, why in ((storage, "reads model bundles and writes inference capture"), (registry, "reads the deployment record")):
        serving.add_stack_dependency(needed, why)
    release = ReleaseStack(
        app,
        f"{project}-release",
        settings=settings,
        artifact_bucket_name=storage.artifact_bucket_name,
        env=env,
        description=f"{project}: gradual release (canary, shadow) state machine on the deployment record.",
    )
    release_needs: tuple[tuple[cdk.Stack, str], ...] = (
        (registry, "steps the deployment record's release and rejects aborted candidates"),
        (monitoring, "checks the candidate alarms the monitoring stack defines"),
    )
    for dependency, reason in release_needs:
        release.add_stack_dependency(dependency, reason)
    quality = QualityStack(
        app,
        f"{project}-quality",
        settings=settings,
        data_bucket_name=storage.data_bucket_name,
        artifact_bucket_name=storage.artifact_bucket_name,
        env=env,
        description=f"{project}: scheduled quality run (labels joined to predictions, realized and estimated metrics).",
    )
    for needed, why in ((storage, "reads predictions and labels, writes reports"), (registry, "reads the registry and deployment record"),
                        (alerts, "publishes to the alerts topic")):
        quality.add_stack_dependency(needed, why)
    retraining = RetrainingStack(
        app,
        f"{project}-retraining",
        settings=settings,
        data_bucket_name=storage.data_bucket_name,
        artifact_bucket_name=storage.artifact_bucket_name,
        env=env,
        description=f"{project}: retraining on drift, quality alarms or a schedule, through the gate and a canary.",
    )
    retraining_needs: tuple[tuple[cdk.Stack, str], ...] = (
        (storage, "reads predictions, labels and training data, writes dataset versions"),
        (registry, "registers versions, writes the ledger beside the deployment record"),
        (alerts, "subscribes to and publishes on the alerts topic"),
        (release, "starts the release state machine"),
    )
    for dependency, reason in retraining_needs:
        retraining.add_stack_dependency(dependency, reason)
    return {"storage": storage, "registry": registry, "alerts": alerts, "batch": batch, "monitoring": monitoring,
            "serving": serving, "release": release, "quality": quality, "retraining": retraining}
